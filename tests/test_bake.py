"""Bake a grid of answers; check the files, what is left of Jinja, git, DVC and ruff."""

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.baking import (
    TASKS,
    TEMPLATE_PROJECT,
    TEMPLATE_ROOT,
    answer,
    bake_into,
    declared_task_settings,
    load_hook,
    read_yaml,
    task_settings,
)
from tests.commands import cruft, git

# Per CI provider, the files the post-generation hook keeps only for it.
CI_FILES = load_hook("post_gen_project").CI_PROVIDER_FILES
# Created by the post-generation hook rather than copied from the template.
HOOK_FILES = {".cruft.json", "data/raw/.gitignore"}
# Where the template keeps a sample data set for each task.
SAMPLES = "data/raw/"
LOCAL_STATE = (".git/",)
# `${{` is GitHub's own expression syntax and `{{ $labels` Prometheus' (a Jinja expression never
# starts with `$`), not unrendered Jinja variables; a `%}` alone ends a percentage's format
# (`f"{share:.1%}"`), as every Jinja tag left would start with `{%`.
LEFTOVER_JINJA = re.compile(r"(?<!\$)\{\{(?!\s*\$)|\{%")

# Each grid entry: the answers given, and the repository name they should lead to.
GRID = {
    "defaults": ({}, "my-ml-project"),
    "py311-azure": ({"python_version": "3.11", "ci_provider": "azure"}, "my-ml-project"),
    "py313-gitlab": ({"python_version": "3.13", "ci_provider": "gitlab"}, "my-ml-project"),
    "no-ci": ({"ci_provider": "none"}, "my-ml-project"),
    "accented-name": (
        {"project_name": "Détection de Fraude 2", "ci_provider": "github"},
        "detection-de-fraude-2",
    ),
    # The shortest package name, and the longest, which also sorts after `tests`: the code
    # keeps to ruff's rules whatever the name's length.
    "short-package": ({"package_name": "ab"}, "my-ml-project"),
    "longest-package": (
        {"package_name": ("zz_" * 20)[: load_hook("pre_gen_project").MAX_PACKAGE_LENGTH - 1] + "z"},
        "my-ml-project",
    ),
    # The defaults' task is the first; every other one gets a bake of its own.
    **{f"task-{task}": ({"task": task}, "my-ml-project") for task in TASKS[1:]},
}


def project_files(root: Path) -> set[str]:
    """Files in a project, leaving out git's own local state."""
    files = {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()}
    return {name for name in files if not name.startswith(LOCAL_STATE)}


def sample_of(project: Path) -> str:
    """The task's sample data: the raw data params.yaml names."""
    return read_yaml(project, "params.yaml")["paths"]["raw_data"]


def expected_files(project: Path, package: str, ci_provider: str) -> set[str]:
    """The template's files under their rendered names, less other providers' CI files and other
    tasks' samples, with the files the hook adds."""
    sample = sample_of(project)
    excluded = {
        name for provider, names in CI_FILES.items() if provider != ci_provider for name in names
    }
    excluded |= {
        name
        for name in project_files(TEMPLATE_PROJECT)
        if name.startswith(SAMPLES) and name != sample
    }
    expected = set()
    for name in project_files(TEMPLATE_PROJECT):
        rendered = name.replace("{{cookiecutter.package_name}}", package)
        if not any(rendered == skip or rendered.startswith(f"{skip}/") for skip in excluded):
            expected.add(rendered)
    return expected | HOOK_FILES


@dataclass(frozen=True)
class Baked:
    project: Path
    answers: dict[str, str]
    expected_slug: str

    @property
    def package(self) -> str:
        return self.answers.get("package_name", self.expected_slug.replace("-", "_"))


@pytest.fixture(scope="module", params=GRID.values(), ids=GRID.keys())
def baked(request, tmp_path_factory) -> Baked:
    answers, slug = request.param
    return Baked(bake_into(tmp_path_factory.mktemp("bake"), **answers), answers, slug)


def test_names_are_derived_from_the_project_name(baked):
    slug = baked.expected_slug
    assert baked.project.name == slug
    assert (baked.project / "src" / baked.package / "__init__.py").exists()
    params = read_yaml(baked.project, "params.yaml")
    assert params["mlflow"]["model_name"] == f"{slug}-model"


def test_exactly_the_chosen_files_are_generated(baked):
    project, package = baked.project, baked.package
    ci_provider = answer(baked.answers, "ci_provider")
    assert project_files(project) == expected_files(project, package, ci_provider)


def test_the_sample_is_one_of_the_templates(baked):
    # Otherwise the hook would have removed every sample and found none to track.
    assert (TEMPLATE_PROJECT / sample_of(baked.project)).is_file()


def test_no_template_syntax_is_left(baked):
    project = baked.project
    leftovers = [
        name
        for name in project_files(project)
        if not name.endswith(".csv") and LEFTOVER_JINJA.search((project / name).read_text())
    ]
    assert leftovers == []


def test_the_python_version_reaches_the_environment_and_the_image(baked):
    version = answer(baked.answers, "python_version")
    assert (baked.project / ".python-version").read_text().strip() == version
    dockerfile = (baked.project / "Dockerfile").read_text()
    assert f"ARG BASE_IMAGE=python:{version}-slim-bookworm\n" in dockerfile


def test_the_repository_is_committed_with_the_data_left_to_dvc(baked):
    """The data stays out of git until `make setup` sets DVC up (test_generated_project.py)."""
    project = baked.project
    assert git(project, "status", "--porcelain") == ""
    assert git(project, "log", "--format=%s") == "Generate the project from the template\n"
    sample = sample_of(project)
    assert (project / sample).is_file()
    assert sample not in git(project, "ls-files").splitlines()
    assert git(project, "check-ignore", sample).strip() == sample


def test_cruft_finds_the_template_version_and_answers_of_the_project(baked):
    record = json.loads((baked.project / ".cruft.json").read_text())
    assert record["template"] == str(TEMPLATE_ROOT)
    assert record["commit"] == git(TEMPLATE_ROOT, "rev-parse", "HEAD").strip()
    answers = record["context"]["cookiecutter"]
    assert answers["project_slug"] == baked.expected_slug
    assert {key: answers[key] for key in baked.answers} == baked.answers
    assert {".git", ".dvc", "data", "uv.lock"} <= set(record["skip"])
    result = cruft(baked.project, "check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_lock_file_matches_the_project(baked):
    project = baked.project
    result = subprocess.run(["uv", "lock", "--check"], cwd=project, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_ruff_is_clean(baked):
    project = baked.project
    # No cache: the baked project is shared, and the file-set tests must not find ruff's.
    for arguments in (["check"], ["format", "--check"]):
        command = ["ruff", *arguments, "--no-cache", "."]
        result = subprocess.run(command, cwd=project, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr


def test_the_dockerfile_passes_hadolint(baked):
    result = subprocess.run(
        ["hadolint", "Dockerfile"], cwd=baked.project, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_task_settings_start_from_the_tasks_declaration(baked):
    task = answer(baked.answers, "task")
    assert task_settings(baked.project) == declared_task_settings(baked.project, task)
