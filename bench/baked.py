"""A project baked from the template for a benchmark, its commands run in its own .venv, and
its servers waited for, with the template tests' helpers."""

import os
import subprocess
import sys
import time
from pathlib import Path

TEMPLATE_ROOT = Path(__file__).resolve().parents[1]
# The template's tests package, which `python bench/<name>.py` does not put on sys.path.
sys.path.insert(0, str(TEMPLATE_ROOT))
# `bake` for short: each benchmark bakes the defaults into a scratch directory.
from tests.baking import bake_into as bake  # noqa: E402  (after sys.path)
from tests.baking import package_of, read_yaml  # noqa: E402
from tests.processes import NotReadyError, free_port, project_environment, wait_until_ready  # noqa: E402

__all__ = [
    "TEMPLATE_ROOT", "bake", "environment", "free_port", "package_of", "raw_data", "run", "timed",
    "wait_for",
]  # fmt: skip


def raw_data(project: Path) -> str:
    """The project's data, as params.yaml names it (relative to the project)."""
    return read_yaml(project, "params.yaml")["paths"]["raw_data"]


def environment(project: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The project's environment: its .venv first on PATH, as its Makefile does."""
    env = project_environment()
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


def wait_for(url: str, server: subprocess.Popen, timeout: float = 180) -> None:
    """Return once the server answers at `url`; exit with the reason if it stops or is late."""
    try:
        wait_until_ready(url, server, timeout)
    except NotReadyError as error:
        sys.exit(str(error))
