"""Copy the project and run its commands there, with its own MLflow store."""

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# Local state that a copy must not share with the original.
NOT_COPIED = {".venv", ".tools", ".nox", "mlruns", "mlartifacts", ".pytest_cache", ".ruff_cache"}
NOT_COPIED_UNDER_DVC = {"cache", "tmp"}

PIPES = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE}

Runner = Callable[..., subprocess.CompletedProcess]


def ignore_local_state(directory: str, names: list[str]) -> set[str]:
    ignored = {name for name in names if name in NOT_COPIED or name.startswith("mlflow.db")}
    if Path(directory).name == ".dvc":
        ignored |= NOT_COPIED_UNDER_DVC & set(names)
    return ignored


def copy_project(destination: Path) -> Path:
    """Copy the project without its pipeline state, so the first repro runs every stage."""
    shutil.copytree(PROJECT_ROOT, destination, ignore=ignore_local_state)
    params = yaml.safe_load((destination / "params.yaml").read_text())
    outputs = [path for name, path in params["paths"].items() if name != "raw_data"]
    for relative in ["dvc.lock", *outputs]:
        target = destination / relative
        if target.is_dir():
            shutil.rmtree(target)
        else:
            target.unlink(missing_ok=True)
    return destination


def runner(project: Path, environ: dict[str, str] | None = None) -> Runner:
    """Return a function that runs a command in the project and fails loudly if it fails."""
    env = {
        **os.environ,
        # The interpreter running the tests has the project installed; its commands come first.
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "MLFLOW_TRACKING_URI": f"sqlite:///{project / 'mlflow.db'}",
        **(environ or {}),
    }

    def run(*command: str, check: bool = True, background: bool = False):
        if background:
            return subprocess.Popen(command, cwd=project, env=env, text=True, **PIPES)
        result = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True)
        if check and result.returncode != 0:
            pytest.fail(
                f"{' '.join(command)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
            )
        return result

    return run


def cli(run: Runner, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return run(sys.executable, "-m", "{{ cookiecutter.package_name }}", *args, check=check)


def set_param(project: Path, section: str, key: str, value) -> None:
    path = project / "params.yaml"
    params = yaml.safe_load(path.read_text())
    params[section][key] = value
    path.write_text(yaml.safe_dump(params, sort_keys=False))


def commit_all(run: Runner, message: str) -> str:
    run("git", "add", "--all")
    run(
        "git",
        "-c",
        "user.name=Tests",
        "-c",
        "user.email=tests@example.com",
        "commit",
        "-qm",
        message,
    )
    return run("git", "rev-parse", "HEAD").stdout.strip()
