"""The generated CI files: valid for their provider, equivalent across providers, filtered right."""

import subprocess
import sys
from pathlib import Path

import pytest
from wcmatch.glob import GLOBSTAR, globmatch

from tests import ci_files
from tests.baking import bake_into

SCHEMAS = {
    "github": (["vendor.github-workflows"], [".github/workflows/*.yml"]),
    "gitlab": (["vendor.gitlab-ci"], [".gitlab-ci.yml"]),
    "azure": (
        ["vendor.azure-pipelines", "--regex-variant", "nonunicode"],
        ["azure-pipelines.yml", ".azure/*.yml", ".azure/steps/*.yml"],
    ),
}
JOBS = {
    "github": ci_files.github_jobs,
    "gitlab": ci_files.gitlab_jobs,
    "azure": ci_files.azure_jobs,
}
PATH_FILTERS = {
    "github": (ci_files.github_path_filters, "train", "deploy"),
    "gitlab": (ci_files.gitlab_path_filters, "reproduce", "image"),
    "azure": (ci_files.azure_path_filters, "train", "deploy"),
}
TRAINING_INPUTS = [
    "params.yaml",
    "dvc.yaml",
    "dvc.lock",
    # Any table's DVC file, not only the sample's.
    "data/raw/customers.csv.dvc",
    "src/my_ml_project/pipeline/train.py",
    "src/my_ml_project/model.py",
    "src/my_ml_project/tuning.py",
    "src/my_ml_project/schema.py",
]
SERVING_CODE = ["src/my_ml_project/serving/app.py", "Dockerfile"]


@pytest.fixture(scope="module", params=SCHEMAS.keys())
def ci_project(request, tmp_path_factory) -> tuple[str, Path]:
    provider = request.param
    return provider, bake_into(tmp_path_factory.mktemp(provider), ci_provider=provider)


def test_ci_files_match_their_published_schema(ci_project):
    provider, project = ci_project
    schema, patterns = SCHEMAS[provider]
    files = sorted(str(path) for pattern in patterns for path in project.glob(pattern))
    assert files
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", *schema, *files],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_github_workflows_pass_actionlint(tmp_path):
    project = bake_into(tmp_path, ci_provider="github")
    result = subprocess.run(["actionlint"], cwd=project, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_job_step_calls_a_make_target(ci_project):
    provider, project = ci_project
    for job, commands in JOBS[provider](project).items():
        assert commands, f"{job} runs nothing"
        assert all(command.startswith("make ") for command in commands), (job, commands)


def test_every_provider_runs_the_same_jobs(tmp_path):
    jobs = {}
    for provider in JOBS:
        project = bake_into(tmp_path / provider, ci_provider=provider)
        jobs[provider] = {
            (job.rpartition("/")[2], tuple(map(ci_files.canonical_command, commands)))
            for job, commands in JOBS[provider](project).items()
        }
    assert jobs["github"] == jobs["gitlab"] == jobs["azure"]


def selected(filters: dict[str, list[str]], path: str) -> set[str]:
    return {name for name, patterns in filters.items() if globmatch(path, patterns, flags=GLOBSTAR)}


def test_serving_code_alone_does_not_start_training(ci_project):
    provider, project = ci_project
    read_filters, training, serving = PATH_FILTERS[provider]
    filters = read_filters(project)
    for path in SERVING_CODE:
        assert training not in selected(filters, path), path
        assert serving in selected(filters, path), path


def test_training_inputs_start_training(ci_project):
    provider, project = ci_project
    read_filters, training, _ = PATH_FILTERS[provider]
    filters = read_filters(project)
    for path in TRAINING_INPUTS:
        assert training in selected(filters, path), path
