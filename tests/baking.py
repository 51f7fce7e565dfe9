"""Bake the template: where it lives, its defaults, and functions to generate and run a project."""

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

from cookiecutter.main import cookiecutter

TEMPLATE_ROOT = Path(__file__).resolve().parents[1]
TEMPLATE_PROJECT = TEMPLATE_ROOT / "{{cookiecutter.project_slug}}"
DEFAULTS = json.loads((TEMPLATE_ROOT / "cookiecutter.json").read_text())

Bake = Callable[..., Path]
# What a nox session with the uv backend sets to point uv and python at its own venv.
SESSION_VARIABLES = {"VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT", "UV_PYTHON"}


def bake_into(output_dir: Path, **answers: str) -> Path:
    """Generate a project with these answers (defaults for the rest); return its path."""
    return Path(
        cookiecutter(
            str(TEMPLATE_ROOT), no_input=True, extra_context=answers, output_dir=str(output_dir)
        )
    )


def run_make(project: Path, *arguments: str) -> subprocess.CompletedProcess:
    """Run the project's make with these targets and variables, as a person would."""
    # The project's own Makefile decides which tools to use and where its environment is; the
    # test session's venv must not leak in.
    env = {key: value for key, value in os.environ.items() if key not in SESSION_VARIABLES}
    return subprocess.run(
        ["make", *arguments], cwd=project, capture_output=True, text=True, env=env
    )


def make(project: Path, *arguments: str) -> str:
    """Run make; return its output, or fail the test with all of it."""
    result = run_make(project, *arguments)
    assert result.returncode == 0, f"make {' '.join(arguments)}:\n{result.stdout}\n{result.stderr}"
    return result.stdout
