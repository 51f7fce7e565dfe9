"""Run the real pipeline in a copy of the project, with its own MLflow store."""

from pathlib import Path

import pytest

from tests.integration.project_copy import PROJECT_ROOT, Runner, cli, copy_project, runner


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A fresh copy of the project with an initialised MLflow store."""
    copy = copy_project(tmp_path_factory.mktemp("copy") / PROJECT_ROOT.name)
    cli(runner(copy), "init-tracking")
    return copy


@pytest.fixture(scope="module")
def run(project) -> Runner:
    return runner(project)
