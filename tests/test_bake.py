"""Bake a grid of answers; check the files, what is left of Jinja, git, DVC and ruff."""

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import DEFAULTS, TEMPLATE_PROJECT, bake_into

CI_FILES = {
    "github": {".github/workflows"},
    "azure": {"azure-pipelines.yml", ".azure"},
    "gitlab": {".gitlab-ci.yml"},
    "none": set(),
}
# Created by the post-generation hook rather than copied from the template.
HOOK_FILES = {
    ".dvc/.gitignore",
    ".dvc/config",
    "data/raw/.gitignore",
    "data/raw/breast_cancer.csv.dvc",
}
# `${{` is GitHub's own expression syntax, not an unrendered Jinja variable.
LEFTOVER_JINJA = re.compile(r"(?<!\$)\{\{|\{%|%\}")

GRID = {
    "defaults": {},
    "py311-azure": {"python_version": "3.11", "ci_provider": "azure"},
    "py313-gitlab": {"python_version": "3.13", "ci_provider": "gitlab"},
    "no-ci": {"ci_provider": "none"},
    "accented-name": {"project_name": "Détection de Fraude 2", "ci_provider": "github"},
}


def project_files(root: Path) -> set[str]:
    return {
        str(path.relative_to(root))
        for path in root.rglob("*")
        if path.is_file() and ".git" not in path.relative_to(root).parts[:1]
    }


def expected_files(project: Path, package: str, ci_provider: str) -> set[str]:
    """The template's files under their rendered names, less other providers' CI files."""
    excluded = {
        name for provider, names in CI_FILES.items() if provider != ci_provider for name in names
    }
    expected = set()
    for name in project_files(TEMPLATE_PROJECT):
        rendered = name.replace("{{cookiecutter.package_name}}", package)
        if not any(rendered == skip or rendered.startswith(f"{skip}/") for skip in excluded):
            expected.add(rendered)
    return expected | HOOK_FILES


@pytest.fixture(scope="module", params=GRID.values(), ids=GRID.keys())
def baked(request, tmp_path_factory) -> tuple[Path, dict[str, str]]:
    answers = request.param
    return bake_into(tmp_path_factory.mktemp("bake"), **answers), answers


def test_exactly_the_chosen_files_are_generated(baked):
    project, answers = baked
    package = project.name.replace("-", "_")
    ci_provider = answers.get("ci_provider", DEFAULTS["ci_provider"][0])
    assert project_files(project) == expected_files(project, package, ci_provider)


def test_no_template_syntax_is_left(baked):
    project, _ = baked
    leftovers = [
        str(path.relative_to(project))
        for path in project.rglob("*")
        if path.is_file()
        and ".git" not in path.relative_to(project).parts[:1]
        and path.suffix != ".csv"
        and LEFTOVER_JINJA.search(path.read_text())
    ]
    assert leftovers == []


def test_names_are_derived_from_the_project_name(baked):
    project, answers = baked
    if answers.get("project_name") != "Détection de Fraude 2":
        pytest.skip("only the accented name needs deriving")
    assert project.name == "detection-de-fraude-2"
    assert (project / "src/detection_de_fraude_2/__init__.py").exists()
    params = yaml.safe_load((project / "params.yaml").read_text())
    assert params["mlflow"]["model_name"] == "detection-de-fraude-2-model"


def test_the_python_version_reaches_the_environment(baked):
    project, answers = baked
    version = answers.get("python_version", DEFAULTS["python_version"][0])
    assert (project / ".python-version").read_text().strip() == version


def git(project: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=project, capture_output=True, text=True, check=True
    ).stdout


def test_the_repository_is_committed_with_data_under_dvc(baked):
    project, _ = baked
    assert git(project, "status", "--porcelain") == ""
    assert git(project, "log", "--format=%s") == "Generate the project from the template\n"
    tracked = git(project, "ls-files").splitlines()
    assert "data/raw/breast_cancer.csv.dvc" in tracked
    assert "data/raw/breast_cancer.csv" not in tracked

    remote = project.parent / f"{project.name}-dvc-storage"
    assert "url = ../../" in (project / ".dvc/config").read_text()
    data_md5 = yaml.safe_load((project / "data/raw/breast_cancer.csv.dvc").read_text())["outs"][0][
        "md5"
    ]
    assert (remote / "files/md5" / data_md5[:2] / data_md5[2:]).exists()


def test_the_lock_file_matches_the_project(baked):
    project, _ = baked
    result = subprocess.run(["uv", "lock", "--check"], cwd=project, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_ruff_is_clean(baked):
    project, _ = baked
    for command in (["ruff", "check", "."], ["ruff", "format", "--check", "."]):
        result = subprocess.run(command, cwd=project, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
