"""DVC's set-up, on the project's first `make setup`: DVC in the repository, a local remote beside
the project, the raw data tracked and pushed there, and a commit of DVC's files.

Generating the project needs nothing but cookiecutter and git, so this waits for the project's own
environment, which has DVC. Each step is skipped when done, so a set-up that failed halfway
resumes; a clone of a set-up project has it all and starts no DVC command.
"""

import subprocess  # nosec B404  # dvc (this interpreter's module) and git, no shell
import sys
import tomllib
from pathlib import Path

from {{ cookiecutter.package_name }}.core.errors import ConfigError

DVC_CONFIG = Path(".dvc/config")
DVC_INIT_FILES = [DVC_CONFIG, Path(".dvc/.gitignore"), Path(".dvcignore")]
# Beside the project, so that `make push` works with no server; the README's "Configuration
# ladder" says how to name a shared one instead.
LOCAL_REMOTE = Path("..") / "{{ cookiecutter.project_slug }}-dvc-storage"
COMMIT_MESSAGE = "Track the data with DVC"


def run(*command: str, then: str = "run `make setup` again") -> str:
    """Run dvc or git and return its output; a failure is an error naming the command, its last
    line of output, and `then`: what to do once it is fixed."""
    # The dvc of this interpreter: the project's environment, whatever PATH holds.
    argv = [sys.executable, "-m", *command] if command[0] == "dvc" else list(command)
    result = subprocess.run(argv, capture_output=True, text=True)  # nosec B603  # no shell
    if result.returncode != 0:
        reason = (result.stderr or result.stdout).strip().splitlines()
        raise ConfigError(
            f"`{' '.join(command)}` failed: {reason[-1] if reason else 'no message'}; fix that "
            f"and {then}"
        )
    return result.stdout


def _git_identity() -> list[str]:
    """The project's author (pyproject.toml) for this one commit when git has no identity."""
    configured = subprocess.run(  # nosec B603 B607  # git from PATH, no shell
        ["git", "config", "user.email"], capture_output=True, text=True
    )
    if configured.stdout.strip():
        return []
    (author, *_) = tomllib.loads(Path("pyproject.toml").read_text())["project"]["authors"]
    return ["-c", f"user.name={author['name']}", "-c", f"user.email={author['email']}"]


def init_data_versioning(raw_data: Path) -> str:
    """Set DVC up for `raw_data` where it is not yet; return what was done, in a line."""
    tracked = Path(f"{raw_data}.dvc")
    if DVC_CONFIG.exists() and tracked.exists():
        return f"DVC is set up: it tracks {raw_data} ({tracked})"
    if not raw_data.exists():
        raise ConfigError(
            f"{raw_data} (paths.raw_data in params.yaml) does not exist, so DVC has nothing to "
            "track; put the data there, or make another table the data with `make adopt`"
        )
    if not DVC_CONFIG.exists():
        run("dvc", "init", "--quiet")
    # DVC stages the .dvc files it writes for the next git commit.
    run("dvc", "config", "core.autostage", "true")
    if not run("dvc", "remote", "list").strip():
        run("dvc", "remote", "add", "--default", "local", str(LOCAL_REMOTE))
    run("dvc", "add", "--quiet", str(raw_data))
    run("dvc", "push", "--quiet")
    # What `dvc init` and `dvc add` write for git; nothing else of the work tree is committed.
    written = [*DVC_INIT_FILES, tracked, raw_data.with_name(".gitignore")]
    names = [str(path) for path in written]
    if run("git", "status", "--porcelain", "--", *names).strip():
        run("git", *_git_identity(), "commit", "--quiet", "-m", COMMIT_MESSAGE, "--", *names)
    return (
        f"DVC set up: {raw_data} tracked by {tracked}, pushed to the remote `local` "
        f"({LOCAL_REMOTE}), and DVC's files committed ({COMMIT_MESSAGE!r})"
    )
