"""Finish the generated project: prune unchosen options, record the template for cruft, then
git and a first commit, with the data left to DVC, which the project's `make setup` sets up.

`cruft update` and `cruft diff` render the template twice into temporary directories and compare
the renders; there only the pruning runs, so a render holds exactly the template's files.
Everything here works offline and needs nothing but cookiecutter and git. The steps are plain
functions so tests can call them.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# cookiecutter's own dependencies, so nothing more is needed to generate a project.
import yaml
from cookiecutter.config import get_user_config
from cookiecutter.repository import expand_abbreviations, is_repo_url

# Files that belong to one CI provider each; the others are removed.
CI_PROVIDER_FILES = {
    "github": [".github"],
    "azure": ["azure-pipelines.yml", ".azure"],
    "gitlab": [".gitlab-ci.yml"],
    "none": [],
}
SAMPLES = Path("data/raw")
CRUFT_FILE = ".cruft.json"
# What `cruft update` never compares or patches: this record, git's and DVC's local state, the
# project's data, and the lock file, which `uv lock` regenerates after an update.
CRUFT_SKIP = [CRUFT_FILE, ".git", ".dvc", "data", "uv.lock"]


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


def sample_data(project: Path) -> Path:
    """The chosen task's sample: the raw data params.yaml names."""
    params = yaml.safe_load((project / "params.yaml").read_text())
    return Path(params["paths"]["raw_data"])


def remove_other_samples(project: Path) -> None:
    kept = sample_data(project)
    for sample in (project / SAMPLES).glob("*.csv"):
        if sample.relative_to(project) != kept:
            sample.unlink()


def rendered_by_cruft(answers: dict) -> bool:
    """cruft renders with its own context, which has `_commit` where cookiecutter's command has
    `_output_dir`."""
    return "_commit" in answers and "_output_dir" not in answers


def rendered_for_comparison(answers: dict, project: Path) -> bool:
    """Whether this is one of the throwaway renders that `cruft update` and `cruft diff` compare.

    cruft makes those in fresh directories that Python's tempfile creates in the system's
    temporary directory; `cruft create` renders where it is told.
    """
    scratch = project.resolve().parent
    in_fresh_temporary_directory = scratch.name.startswith("tmp") and (
        scratch.parent == Path(tempfile.gettempdir()).resolve()
    )
    return rendered_by_cruft(answers) and in_fresh_temporary_directory


def local_template_path(path: str) -> Path | None:
    """A local template's absolute path. A relative one is relative to the shell's directory
    when cookiecutter ran, while this hook runs inside the new project."""
    if Path(path).is_absolute():
        return Path(path)
    shell_directory = os.environ.get("PWD")
    return Path(shell_directory, path).resolve() if shell_directory else None


def template_origin(answers: dict) -> tuple[str, str] | None:
    """The template's address and commit, from which cruft renders this version again.

    None when the template is not the top of a git checkout (a zip file, an exported folder).
    """
    if rendered_by_cruft(answers):  # `cruft create` resolved both
        return answers["_template"], answers["_commit"]
    template = expand_abbreviations(answers["_template"], get_user_config()["abbreviations"])
    template = template.removeprefix("git+")  # cookiecutter's mark of a git URL; git's own is plain
    checkout: Path | None = Path(answers["_repo_dir"])
    if not is_repo_url(template):
        checkout = local_template_path(template)
        template = str(checkout)
    if checkout is None or not checkout.is_dir():
        return None
    found = subprocess.run(
        ["git", "rev-parse", "--show-toplevel", "HEAD"],
        cwd=checkout,
        capture_output=True,
        text=True,
    )
    if found.returncode != 0:
        return None
    top_level, commit = found.stdout.splitlines()
    return (template, commit) if Path(top_level).resolve() == checkout.resolve() else None


def cruft_record(answers: dict, template: str, commit: str) -> dict:
    """The content of .cruft.json, in the layout `cruft create` writes."""
    chosen = {key: value for key, value in answers.items() if not key.startswith("_")}
    return {
        "template": template,
        "commit": commit,
        "checkout": answers.get("_checkout"),
        "context": {"cookiecutter": {**chosen, "_template": template, "_commit": commit}},
        "directory": None,
        "skip": CRUFT_SKIP,
    }


def record_template(project: Path, answers: dict) -> None:
    origin = template_origin(answers)
    if origin is None:
        print(
            f"note: {answers['_template']} is not the top of a git repository, so {CRUFT_FILE} "
            "is not written and `cruft update` cannot bring later template versions here; "
            "generate from the template's git URL or the absolute path of its git checkout"
        )
        return
    record = cruft_record(answers, *origin)
    text = json.dumps(record, ensure_ascii=False, indent=2) + "\n"
    (project / CRUFT_FILE).write_text(text, encoding="utf-8")


def missing_tools() -> list[str]:
    """Return a message for each command the repository set-up needs but cannot find."""
    problems = []
    if shutil.which("git") is None:
        problems.append("git: not found on PATH; install git, then generate the project again")
    return problems


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
    """git init and the first commit, with the data out of git: DVC versions it once `make setup`
    has set DVC up, and writes the same ignore entry."""
    sample = sample_data(project)
    (project / sample.parent / ".gitignore").write_text(f"/{sample.name}\n")
    run(["git", "init", "--quiet", "--initial-branch=main"], project)
    run(["git", "add", "--all"], project)
    identity = git_identity(answers["author_name"], answers["author_email"])
    run(
        ["git", *identity, "commit", "--quiet", "-m", "Generate the project from the template"],
        project,
    )


def main(answers: dict) -> int:
    project = Path.cwd()
    if rendered_for_comparison(answers, project):
        remove_unselected_ci_files(project, answers["ci_provider"])
        remove_other_samples(project)
        return 0
    problems = missing_tools()
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if problems:
        return 1
    remove_unselected_ci_files(project, answers["ci_provider"])
    remove_other_samples(project)
    record_template(project, answers)
    initialise_repository(project, answers)
    print(f"Created {project}. Next: cd {project.name} && make setup && make repro")
    return 0


if __name__ == "__main__":
    sys.exit(main(json.loads(r"""{{ cookiecutter | jsonify }}""")))
