"""Run git, make and cruft in a baked project or a template repository, as a person would."""

import os
import subprocess
import sys
from pathlib import Path

SESSION_ENVIRONMENT = {"VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT"}


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, check=True
    ).stdout


def make(project: Path, *targets: str) -> str:
    # The project's own Makefile decides which tools to use and where its .venv is; the test
    # session's environment (which nox also names to uv) must not leak in.
    env = {key: value for key, value in os.environ.items() if key not in SESSION_ENVIRONMENT}
    result = subprocess.run(
        ["make", *targets], cwd=project, capture_output=True, text=True, env=env
    )
    assert result.returncode == 0, f"make {' '.join(targets)}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def cruft(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cruft", *args, "--project-dir", str(project)],
        capture_output=True,
        text=True,
    )
