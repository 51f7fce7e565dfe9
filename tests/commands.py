"""Run git, make and cruft in a baked project or a template repository, as a person would."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.processes import project_environment

# What the tests need from the machine beyond Python: installed, when missing, by this script.
SERVICES_SCRIPT = ".ci/services"


def require_tool(tool: str, purpose: str) -> None:
    """Skip the test when the machine lacks `tool`, saying what it is for and what installs it."""
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is missing ({purpose}); `sudo bash {SERVICES_SCRIPT}` installs it")


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, check=True
    ).stdout


# Commits made by the tests, whoever runs them.
IDENTITY = ["-c", "user.name=Template Tests", "-c", "user.email=tests@example.com"]


def commit_all(repo: Path, message: str) -> str:
    """Commit every change in the work tree; return the commit."""
    git(repo, "add", "--all")
    git(repo, *IDENTITY, "commit", "--quiet", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


def run_make(project: Path, *arguments: str) -> subprocess.CompletedProcess:
    """Run the project's make with these targets and variables, as a person would."""
    return subprocess.run(
        ["make", *arguments], cwd=project, capture_output=True, text=True, env=project_environment()
    )


def make(project: Path, *arguments: str) -> str:
    """Run make; return its output, or fail the test with all of it."""
    result = run_make(project, *arguments)
    assert result.returncode == 0, f"make {' '.join(arguments)}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def cruft(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cruft", *args, "--project-dir", str(project)],
        capture_output=True,
        text=True,
    )


def project_python(project: Path, *arguments: str) -> subprocess.CompletedProcess:
    """Run the set-up project's own Python, from its directory."""
    return subprocess.run(
        [str(project / ".venv/bin/python"), *arguments],
        cwd=project,
        capture_output=True,
        text=True,
        env=project_environment(),
    )
