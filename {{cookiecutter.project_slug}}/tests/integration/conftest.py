"""Run the real pipeline in a copy of the project, with its own MLflow store."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration import services
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


@pytest.fixture(scope="session")
def team_stack(tmp_path_factory) -> Iterator[services.TeamStack]:
    """PostgreSQL, an S3-compatible server and an MLflow server on both, for every test."""
    binaries = services.postgres_binaries()
    if binaries is None:
        pytest.skip(
            "PostgreSQL's server binaries (initdb, pg_ctl) are not installed; "
            "on Debian or Ubuntu: apt-get install postgresql"
        )
    with (
        services.team_stack(binaries, tmp_path_factory.mktemp("team-stack")) as stack,
        pytest.MonkeyPatch.context() as environ,
    ):
        # Every client signs in as a teammate does: with credentials from the environment.
        for name, value in services.ADMIN_CREDENTIALS.items():
            environ.setenv(name, value)
        yield stack
