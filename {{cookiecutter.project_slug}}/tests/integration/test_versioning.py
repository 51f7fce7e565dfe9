"""DVC's set-up on the first `make setup`, in a repository as generation leaves it: real git and
DVC, a remote beside it."""

import subprocess
import sys
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.core.errors import ConfigError
from {{ cookiecutter.package_name }}.infra.versioning import (
    COMMIT_MESSAGE,
    LOCAL_REMOTE,
    init_data_versioning,
)

RAW_DATA = Path("data/raw/table.csv")
AUTHOR = ("Ada Example", "ada@example.com")


def git(*args: str) -> str:
    return subprocess.run(["git", *args], capture_output=True, text=True, check=True).stdout


@pytest.fixture
def generated(tmp_path, monkeypatch) -> Path:
    """A repository with one commit, the data in the work tree and ignored by git, and no git
    identity but the project's author."""
    project = tmp_path / "project"
    (project / RAW_DATA.parent).mkdir(parents=True)
    monkeypatch.chdir(project)
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "no-gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    RAW_DATA.write_text("x,y\n1,0\n2,1\n")
    RAW_DATA.with_name(".gitignore").write_text(f"/{RAW_DATA.name}\n")
    name, email = AUTHOR
    authors = f'[[project.authors]]\nname = "{name}"\nemail = "{email}"\n'
    Path("pyproject.toml").write_text(f'[project]\nname = "p"\n\n{authors}')
    git("init", "--quiet", "--initial-branch=main")
    git("add", "--all")
    git("-c", f"user.name={name}", "-c", f"user.email={email}", "commit", "--quiet", "-m", "first")
    return project


def test_the_data_is_tracked_pushed_and_committed_once(generated):
    said = init_data_versioning(RAW_DATA)
    assert said.startswith(f"DVC set up: {RAW_DATA} tracked by {RAW_DATA}.dvc")
    assert git("log", "--format=%s|%an|%ae").splitlines() == [
        f"{COMMIT_MESSAGE}|{'|'.join(AUTHOR)}",
        f"first|{'|'.join(AUTHOR)}",
    ]
    assert f"{RAW_DATA}.dvc" in git("ls-files").splitlines()
    assert git("status", "--porcelain") == ""
    remote = (generated / LOCAL_REMOTE).resolve()
    assert len([path for path in remote.rglob("*") if path.is_file()]) == 1

    assert init_data_versioning(RAW_DATA) == f"DVC is set up: it tracks {RAW_DATA} ({RAW_DATA}.dvc)"
    assert len(git("log", "--format=%s").splitlines()) == 2


def test_a_set_up_stopped_halfway_resumes(generated):
    subprocess.run([sys.executable, "-m", "dvc", "init", "--quiet"], check=True)
    init_data_versioning(RAW_DATA)
    assert f"{RAW_DATA}.dvc" in git("ls-files").splitlines()
    assert git("status", "--porcelain") == ""


def test_missing_data_names_the_setting_and_the_fix(generated):
    RAW_DATA.unlink()
    with pytest.raises(ConfigError, match=r"paths\.raw_data in params\.yaml.*make adopt"):
        init_data_versioning(RAW_DATA)
    assert not Path(".dvc").exists()
