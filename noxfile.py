"""Sessions for the template itself; each installs its tools from uv.lock."""

import shutil
from pathlib import Path

import nox

nox.options.default_venv_backend = "uv"
nox.options.sessions = ["lint", "tests", "e2e"]
nox.options.reuse_existing_virtualenvs = True

# Baked by absolute path, which .cruft.json records for `cruft update` to find the template again.
TEMPLATE = str(Path(__file__).resolve().parent)
TEMPLATE_PROJECT = "{{cookiecutter.project_slug}}"
# The generated project's Python is linted after baking, where it is valid Python.
TEMPLATE_CODE = ["hooks", "tests", "bench", "noxfile.py"]
DEMO_DIR = Path("build/demo")


def sync(session: nox.Session, *groups: str) -> None:
    """Install the locked dependency groups into the session's environment."""
    session.run_install(
        "uv",
        "sync",
        "--locked",
        "--no-default-groups",
        *(f"--group={group}" for group in groups),
        env={"UV_PROJECT_ENVIRONMENT": session.virtualenv.location},
        external=True,
    )


@nox.session
def lint(session: nox.Session) -> None:
    """Check the template's own code with ruff."""
    sync(session, "lint")
    args = session.posargs or TEMPLATE_CODE
    session.run("ruff", "check", *args)
    session.run("ruff", "format", "--check", *args)


@nox.session
def tests(session: nox.Session) -> None:
    """Bake the template and check the generated files and the hooks."""
    sync(session, "test")
    session.run("pytest", *(session.posargs or ["-m", "not slow", "-n", "auto"]))


@nox.session
def e2e(session: nox.Session) -> None:
    """Set up a baked project and run its pipeline, registry and own test sessions."""
    sync(session, "test")
    session.run("pytest", *(session.posargs or ["-m", "slow"]))


@nox.session
def demo(session: nox.Session) -> None:
    """Bake a project with the defaults, reproduce, register, promote and predict."""
    sync(session, "bake")
    shutil.rmtree(DEMO_DIR, ignore_errors=True)
    DEMO_DIR.mkdir(parents=True)
    session.run("cookiecutter", "--no-input", "--output-dir", str(DEMO_DIR), TEMPLATE)
    project = next(path for path in DEMO_DIR.iterdir() if (path / "dvc.yaml").exists())
    env = {"VIRTUAL_ENV": None}
    with session.chdir(project):
        for target in ["setup", "repro", "register", "promote"]:
            session.run("make", target, external=True, env=env)
        session.run("make", "predict", "OUTPUT=predictions.csv", external=True, env=env)
        session.run("head", "-n", "4", "predictions.csv", external=True)
    session.log(f"The demo project is in {project}")


@nox.session
def bench(session: nox.Session) -> None:
    """Run a benchmark script from bench/ (default: pipeline) and print its figures."""
    sync(session, "bake")
    for name in session.posargs or ["pipeline"]:
        session.run("python", f"bench/{name}.py")


@nox.session
def lock(session: nox.Session) -> None:
    """Refresh the generated project's uv.lock from a baked project."""
    sync(session, "bake")
    build = Path(session.create_tmp()) / "lock"
    shutil.rmtree(build, ignore_errors=True)
    session.run("cookiecutter", "--no-input", "--output-dir", str(build), TEMPLATE)
    (project,) = build.glob("*/pyproject.toml")
    session.run(
        "uv", "lock", *session.posargs, external=True, env={"UV_PROJECT": str(project.parent)}
    )
    slug = project.parent.name
    lock_text = (project.parent / "uv.lock").read_text()
    templated = lock_text.replace(
        f'name = "{slug}"\n', 'name = "{{ cookiecutter.project_slug }}"\n'
    )
    Path(TEMPLATE_PROJECT, "uv.lock").write_text(templated)
    session.log(f"Updated {TEMPLATE_PROJECT}/uv.lock")
