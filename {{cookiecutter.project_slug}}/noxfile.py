"""Sessions for linting and testing; each installs exactly what uv.lock pins."""

import nox

nox.options.default_venv_backend = "uv"
nox.options.sessions = ["lint", "unit", "integration"]
nox.options.reuse_existing_virtualenvs = True


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
    """Run the unit tests."""
    sync(session, "--no-default-groups", "--group=test")
    session.run("pytest", *(session.posargs or ["tests/unit"]))


@nox.session
def integration(session: nox.Session) -> None:
    """Run the pipeline in a copy of the project and check its outputs and the registry."""
    sync(session, "--no-default-groups", "--group=test")
    session.run("pytest", *(session.posargs or ["tests/integration"]))
