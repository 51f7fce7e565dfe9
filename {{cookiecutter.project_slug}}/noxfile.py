"""Sessions for linting and testing; each installs exactly what uv.lock pins."""

from collections import Counter
from pathlib import Path

import nox

nox.options.default_venv_backend = "uv"
nox.options.sessions = ["lint", "unit", "integration"]
nox.options.reuse_existing_virtualenvs = True

PACKAGE = "{{ cookiecutter.package_name }}"
# The modules that decide: the quality gate, the registry's aliases and rollback, what the
# service accepts, drift, live quality, and the A/B and canary decisions; paths under
# src/PACKAGE/. `nox -s mutation -- PATH...` mutates others instead.
DECISION_MODULES = [
    "registry/gate.py",
    "registry/versions.py",
    "serving/schemas.py",
    "serving/limits.py",
    "monitoring/drift/compare.py",
    "monitoring/drift/check.py",
    "monitoring/quality.py",
    "monitoring/ab.py",
    "monitoring/canary.py",
]
# A mutant is killed when a test fails on it, or when it makes the tests run past mutmut's
# timeout (a loop that no longer ends, say).
KILLED = {"killed", "timeout"}


def sync(session: nox.Session, *options: str) -> None:
    """Install from uv.lock into the session's environment with `uv sync` options."""
    session.run_install(
        "uv",
        "sync",
        "--locked",
        *options,
        env={"UV_PROJECT_ENVIRONMENT": session.virtualenv.location},
        external=True,
    )


@nox.session
def lint(session: nox.Session) -> None:
    """Check style and formatting with ruff."""
    sync(session, "--only-group=lint")
    args = session.posargs or ["."]
    session.run("ruff", "check", *args)
    session.run("ruff", "format", "--check", *args)


@nox.session
def format(session: nox.Session) -> None:
    """Fix style and formatting with ruff."""
    sync(session, "--only-group=lint")
    args = session.posargs or ["."]
    session.run("ruff", "check", "--fix", *args)
    session.run("ruff", "format", *args)


@nox.session
def unit(session: nox.Session) -> None:
    """Run the unit tests, a worker per core."""
    sync(session, "--no-default-groups", "--group=test")
    session.run("pytest", *(session.posargs or ["-n", "auto", "tests/unit"]))


@nox.session
def integration(session: nox.Session) -> None:
    """Run the pipeline in a copy of the project and check its outputs and the registry."""
    sync(session, "--no-default-groups", "--group=test")
    # A worker per core, each taking whole files: a file's tests share its project copy, its
    # trained models and its servers.
    default = ["-n", "auto", "--dist", "loadfile", "tests/integration"]
    session.run("pytest", *(session.posargs or default))


@nox.session
def mutation(session: nox.Session) -> None:
    """Make small changes (mutants) to the decision modules, or to the modules given, run the
    unit tests on each, and print per module how many of them the tests caught."""
    sync(session, "--no-default-groups", "--group=test", "--group=mutation")
    paths = session.posargs or DECISION_MODULES
    unknown = [path for path in paths if not Path("src", PACKAGE, path).exists()]
    if unknown:
        session.error(
            f"no module {', '.join(unknown)} in src/{PACKAGE}/; give paths under it, such as "
            "monitoring/drift/compare.py"
        )
    # mutmut names each mutant after its module and function: PACKAGE.module.x_name__mutmut_3.
    modules = {path: f"{PACKAGE}.{path.removesuffix('.py').replace('/', '.')}." for path in paths}
    session.run("mutmut", "run", *(f"{module}*" for module in modules.values()))
    results = session.run("mutmut", "results", "--all", "true", silent=True)
    # One line per mutant: "    PACKAGE.module.x_name__mutmut_3: STATUS".
    lines = [line.strip() for line in results.splitlines()]
    status = dict(line.rsplit(": ", 1) for line in lines if line.startswith(f"{PACKAGE}."))
    print("\nMutants killed by the unit tests (a test failed or timed out), per module:")
    left = []
    for path, module in modules.items():
        mutants = {name: state for name, state in status.items() if name.startswith(module)}
        counts = Counter(mutants.values())
        killed = sum(counts[state] for state in KILLED)
        share = 100 * killed / max(len(mutants), 1)
        # How the rest fared, and how many were killed by a timeout.
        rest = ", ".join(f"{count} {state}" for state, count in counts.items() if state != "killed")
        print(f"  {path:20} {killed:5}/{len(mutants):<5} {share:5.1f}%  {rest}")
        left += [f"{name} ({state})" for name, state in mutants.items() if state not in KILLED]
    if left:
        print("\nNot killed (`.nox/mutation/bin/mutmut show NAME` shows the change):")
        print("\n".join(f"  {name}" for name in left))
