"""Finish the generated project: prune unchosen options, then git, DVC and a first commit.

Everything here works offline. The steps are plain functions so tests can call them.
"""

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

# Files that belong to one CI provider each; the others are removed.
CI_PROVIDER_FILES = {
    "github": [".github"],
    "azure": ["azure-pipelines.yml", ".azure"],
    "gitlab": [".gitlab-ci.yml"],
    "none": [],
}
SAMPLE_DATA = Path("data/raw/breast_cancer.csv")


def remove_unselected_ci_files(project: Path, provider: str) -> None:
    for other, paths in CI_PROVIDER_FILES.items():
        if other == provider:
            continue
        for name in paths:
            target = project / name
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()


def dvc_command() -> list[str]:
    """Run DVC from this interpreter when it has it, else from PATH."""
    if importlib.util.find_spec("dvc") is not None:
        return [sys.executable, "-m", "dvc"]
    return ["dvc"]


def run(command: list[str], project: Path) -> None:
    result = subprocess.run(command, cwd=project, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(
            f"error: `{' '.join(command)}` failed in {project}:\n{result.stdout}{result.stderr}"
        )


def git_identity(author_name: str, author_email: str) -> list[str]:
    """Use the author's answers for the first commit only when git has no identity set."""
    configured = subprocess.run(["git", "config", "user.email"], capture_output=True, text=True)
    if configured.stdout.strip():
        return []
    return ["-c", f"user.name={author_name}", "-c", f"user.email={author_email}"]


def initialise_repository(project: Path, answers: dict[str, str]) -> None:
    """git init, dvc init, a local DVC remote beside the project, track the data, commit."""
    dvc = dvc_command()
    remote = Path("..") / f"{project.name}-dvc-storage"
    run(["git", "init", "--quiet", "--initial-branch=main"], project)
    run([*dvc, "init", "--quiet"], project)
    run([*dvc, "config", "core.autostage", "true"], project)
    run([*dvc, "remote", "add", "--default", "local", str(remote)], project)
    run([*dvc, "add", "--quiet", str(SAMPLE_DATA)], project)
    run([*dvc, "push", "--quiet"], project)
    run(["git", "add", "--all"], project)
    identity = git_identity(answers["author_name"], answers["author_email"])
    run(
        ["git", *identity, "commit", "--quiet", "-m", "Generate the project from the template"],
        project,
    )


def main(answers: dict[str, str]) -> None:
    project = Path.cwd()
    remove_unselected_ci_files(project, answers["ci_provider"])
    initialise_repository(project, answers)
    print(f"Created {project}. Next: cd {project.name} && make setup && make repro")


if __name__ == "__main__":
    main(json.loads(r"""{{ cookiecutter | jsonify }}"""))
