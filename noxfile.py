"""Sessions for the template itself; each installs its tools from uv.lock."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import nox

# Baked by absolute path, which .cruft.json records for `cruft update` to find the template again.
TEMPLATE = str(Path(__file__).resolve().parent)
# For the tests' process helpers: nox runs this file from its directory but, started as a
# script, does not put that directory on sys.path.
sys.path.insert(0, TEMPLATE)
from tests.processes import LEFT_OUT, free_port, project_environment  # noqa: E402  (after sys.path)

nox.options.default_venv_backend = "uv"
nox.options.sessions = ["lint", "tests", "e2e"]
nox.options.reuse_existing_virtualenvs = True

TEMPLATE_PROJECT = "{{cookiecutter.project_slug}}"
# The generated project's Python is linted after baking, where it is valid Python.
TEMPLATE_CODE = ["hooks", "tests", "bench", "noxfile.py", "local_extensions.py"]
DEMO_DIR = Path("build/demo")
# The uv that runs nox (the tools group's), for a baked project's Makefile, which would otherwise
# install a private copy where PATH has none.
TEMPLATE_UV = {"UV": str(Path(sys.executable).with_name("uv"))}
# The demo project's make: in the project's environment (None unsets a variable for nox).
DEMO_MAKE_ENV = dict.fromkeys(LEFT_OUT) | TEMPLATE_UV
# Where the baked project's service logs its predictions by default.
PREDICTION_LOG = "logs/predictions.jsonl"
WHAT_NEXT = """
The demo project is in {project}. What next:
  cd {project} && make help   # its commands; its README walks through the loop
  make ui                     # there: the runs, metrics and registered models in the MLflow UI
  .venv/bin/uvx cookiecutter . --output-dir ..   # here: your own project, beside this checkout
"""


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
    """Set up baked projects and run their pipelines, registries, services and own tests."""
    sync(session, "test")
    # Each test file goes to one worker, whole: it shares its baked projects among its own
    # tests. A line per test as it ends (`make test` runs this session beside another), and the
    # slowest tests listed at the end: they set how long the session takes.
    default = [
        *("-m", "slow and not docker", "-n", "auto", "--dist", "loadfile"),
        *("--verbose", "--durations=15"),
    ]
    session.run("pytest", *(session.posargs or default))


@nox.session
def docker(session: nox.Session) -> None:
    """Build the serving image with a real Docker engine and call the container (.ci/docker-engine
    starts one)."""
    sync(session, "test")
    session.run("pytest", *(session.posargs or ["-m", "docker", "--verbose", "--durations=10"]))


@nox.session
def demo(session: nox.Session) -> None:
    """Bake a project with the defaults, reproduce, register, promote, predict, and serve."""
    sync(session, "bake")
    shutil.rmtree(DEMO_DIR, ignore_errors=True)
    DEMO_DIR.mkdir(parents=True)
    session.run("cookiecutter", "--no-input", "--output-dir", str(DEMO_DIR), TEMPLATE)
    project = next(path for path in DEMO_DIR.iterdir() if (path / "dvc.yaml").exists())
    with session.chdir(project):
        for target in ["setup", "repro", "register", "promote"]:
            session.run("make", target, external=True, env=DEMO_MAKE_ENV)
        session.run("make", "predict", "OUTPUT=predictions.csv", external=True, env=DEMO_MAKE_ENV)
        session.run("head", "-n", "4", "predictions.csv", external=True)
    predict_over_http(session, project)
    print(WHAT_NEXT.format(project=project), flush=True)


def predict_over_http(session: nox.Session, project: Path) -> None:
    """Start the project's service on the champion, have its smoke test send the first row of
    the project's data, print what the service logged of that prediction, stop it."""
    port = free_port()
    (package,) = [path.parent.name for path in (project / "src").glob("*/__init__.py")]
    # What `make serve` runs, without make: stopped, the server ends on its signal, which make
    # would report as an error.
    serve = [".venv/bin/python", "-m", package, "serve", "--port", str(port)]
    session.log(" ".join(serve))
    server = subprocess.Popen(serve, cwd=project, env=project_environment() | TEMPLATE_UV)
    try:
        # The smoke test waits until the service is ready, then sends one row.
        with session.chdir(project):
            session.run(
                "make",
                "smoke",
                f"SMOKE_URL=http://127.0.0.1:{port}",
                external=True,
                env=DEMO_MAKE_ENV,
            )
        logged = json.loads((project / PREDICTION_LOG).read_text().splitlines()[-1])
        session.log(f"The service logged the request ({PREDICTION_LOG}):")
        print(json.dumps(logged, indent=2), flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)


@nox.session
def bench(session: nox.Session) -> None:
    """Run benchmark scripts from bench/ and print their figures; by default the footprint and
    speed of a new project: demo, set-up, environments, pipeline, image and service."""
    # The test group: the image benchmark builds its base image with the tests' Docker helpers.
    sync(session, "test")
    for name in session.posargs or ["pipeline", "image", "serving"]:
        session.run("python", f"bench/{name}.py", env=TEMPLATE_UV)


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
