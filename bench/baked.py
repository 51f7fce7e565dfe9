"""A project baked from the template for a benchmark, and its commands run in its own .venv."""

import os
import subprocess
import sys
import time
from pathlib import Path

TEMPLATE_ROOT = Path(__file__).resolve().parents[1]
# What a nox session with the uv backend sets to point uv and python at its own venv; a baked
# project must build and use its own .venv instead.
SESSION_VARIABLES = ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT", "UV_PYTHON")


def bake(output_dir: str | Path) -> Path:
    """Bake the template with the default answers into `output_dir`; return the project."""
    # Imported here: scripts also run parts of themselves in the project's .venv, without it.
    from cookiecutter.main import cookiecutter

    return Path(cookiecutter(str(TEMPLATE_ROOT), no_input=True, output_dir=str(output_dir)))


def package_of(project: Path) -> str:
    return next(path.name for path in (project / "src").iterdir() if path.is_dir())


def raw_data(project: Path) -> str:
    """The project's data, as params.yaml names it (relative to the project)."""
    import yaml  # cookiecutter's and the project's own dependency

    return yaml.safe_load((project / "params.yaml").read_text())["paths"]["raw_data"]


def outside_nox() -> dict[str, str]:
    """This process's environment without the variables that point at nox's venv."""
    return {key: value for key, value in os.environ.items() if key not in SESSION_VARIABLES}


def environment(project: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The project's environment: its .venv first on PATH, as its Makefile does."""
    env = outside_nox()
    env["PATH"] = f"{project / '.venv' / 'bin'}{os.pathsep}{env['PATH']}"
    return env | (extra or {})


def run(
    project: Path, *command: str, env: dict[str, str] | None = None, accepted: tuple = (0,)
) -> str:
    """Run a command in the project; return its output, or exit with it if the command fails."""
    result = subprocess.run(
        command, cwd=project, env=environment(project, env), capture_output=True, text=True
    )
    if result.returncode not in accepted:
        sys.exit(f"{' '.join(command)} exited {result.returncode}:\n{result.stdout}{result.stderr}")
    return result.stdout


def timed(
    project: Path, *command: str, env: dict[str, str] | None = None, accepted: tuple = (0,)
) -> float:
    """Run a command as `run` does; return its wall time in seconds."""
    start = time.perf_counter()
    run(project, *command, env=env, accepted=accepted)
    return time.perf_counter() - start
