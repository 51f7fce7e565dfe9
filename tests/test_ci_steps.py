"""Run what CI runs: every make command of every CI job, in pipeline order, in a baked project.

The providers run the same commands (test_ci.py proves it), so GitHub's workflows stand for all
three. Each distinct command runs once, here or, where RUN_ELSEWHERE says, in another test; the
embedded defaults stand in for secrets, and the local Docker engine for the registry and the
environments.
"""

from pathlib import Path

import pytest

from tests import ci_files
from tests.baking import bake_into, set_param
from tests.commands import make
from tests.docker_engine import base_image, docker, require_engine

pytestmark = [pytest.mark.slow, pytest.mark.docker]

# The order in which a change travels through the pipelines.
PIPELINE_ORDER = [
    "ci/lint",
    "ci/unit",
    "train/reproduce",
    "train/register",
    "train/promote",
    "deploy/image",
    "deploy/staging",
    "deploy/production",
    "drift/retrain-if-drifted",
    "drift/promote",
    "deploy/rollback",
]


# Run elsewhere in full: the integration suite, by the GitLab merge request's reproduce job
# (test_ci.py), the longest command of all.
RUN_ELSEWHERE = ["make integration"]


def ordered_commands(project: Path) -> list[str]:
    jobs = ci_files.github_jobs(project)
    assert sorted(jobs) == sorted(PIPELINE_ORDER), "a CI job is missing from PIPELINE_ORDER"
    commands = []
    for job in PIPELINE_ORDER:
        commands += [command for command in jobs[job] if command not in commands]
    assert set(RUN_ELSEWHERE) <= set(commands), "RUN_ELSEWHERE names a command no job runs"
    return [command for command in commands if command not in RUN_ELSEWHERE]


def test_every_ci_command_passes_in_a_baked_project(tmp_path_factory):
    require_engine()
    base = base_image(tmp_path_factory.mktemp("base"))
    project = bake_into(tmp_path_factory.mktemp("ci"), ci_provider="github")
    # No bridge network on this engine: containers share the host's, each on its own port.
    local_engine = [
        f"BASE_IMAGE={base}",
        "DOCKER_BUILDKIT=0",
        "DOCKER_BUILD_FLAGS=--network host",
        "DOCKER_RUN_FLAGS=--network host --env PORT=$(RELEASE_PORT)",
    ]
    try:
        for command in ordered_commands(project):
            if command == "make rollback":
                # A rollback needs a champion that replaced another: promote a better model.
                set_param(project, "train", "C", 0.1)
                make(project, "repro", "register", "promote")
            make(project, *command.removeprefix("make ").split(), *local_engine)
    finally:
        for environment in ("staging", "production"):
            docker("rm", "--force", f"{project.name}-{environment}", check=False)
