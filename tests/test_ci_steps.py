"""Run what CI runs: every job's make commands, job after job, as a change, two scheduled drift
checks, a rollback and a canary travel through the pipelines of a baked project; after each job,
check what it left: the gate's decision, the registry's aliases, the version each environment
serves.

The providers run the same commands (test_ci.py proves it), so GitHub's workflows stand for all
three. The embedded defaults stand in for secrets, and the local Docker engine for the registry and
the environments. The story is made to come out one way whatever the data: the first champion
learns from shuffled labels, so the one retrained on the true labels beats it on the gate.
"""

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests import ci_files
from tests.baking import bake_into, package_of, set_param
from tests.commands import commit_all, make, project_python
from tests.described import describe, project_path, request_rows
from tests.docker_engine import base_image, docker, require_engine
from tests.served import call

pytestmark = [pytest.mark.slow, pytest.mark.docker]

# The jobs each event starts, in order (GitHub's names: workflow/job). A promotion starts the
# deploy workflow (train.yml's and drift.yml's deploy jobs); a rollback is a run of deploy.yml.
DEPLOY = ["deploy/image", "deploy/staging", "deploy/production"]
CHANGE = ["ci/lint", "ci/unit", "train/reproduce", "train/register", "train/promote", *DEPLOY]
SCHEDULED_CHECK = ["drift/retrain-if-due"]
DRIFT_RETRAINING = [*SCHEDULED_CHECK, "drift/promote", *DEPLOY]
ROLLBACK = ["deploy/rollback"]
CANARY = ["canary/canary"]
# The canary's window in the story, and the requests it must answer there to be promoted.
CANARY_WINDOW_SECONDS = 5
CANARY_MIN_REQUESTS = 20
# Where the production container listens (the Makefile's RELEASE_PORT for production).
PRODUCTION_PORT = 8082

# Run elsewhere in full, by the GitLab merge request's jobs (test_ci.py): the project's own test
# suites, the longest commands of all, which change nothing this story checks.
RUN_ELSEWHERE = ["make unit", "make integration"]

# Shuffle the target column of a CSV file in place; run with the file and the column.
SHUFFLE_LABELS = """
import sys
import pandas as pd
path, target = sys.argv[1:]
table = pd.read_csv(path)
table[target] = table[target].sample(frac=1, random_state=0).to_numpy()
table.to_csv(path, index=False)
"""
# The aliases of the registered model, and how many versions it has, as JSON.
REGISTRY_STATE = """
import importlib, json, sys
package = sys.argv[1]
client = importlib.import_module(f"{package}.infra.tracking").connect()
name = importlib.import_module(f"{package}.core.config").load_params().mlflow.model_name
versions = client.search_model_versions(f"name = '{name}'")
aliases = client.get_registered_model(name).aliases
aliases = {alias: str(version) for alias, version in aliases.items()}
json.dump({"aliases": aliases, "versions": len(versions)}, sys.stdout)
"""
SMOKE_ANSWER = re.compile(r"is ready and model version (\d+) answered a prediction")


class Pipelines:
    """A baked project's CI jobs, run one after the other in its directory."""

    def __init__(self, project: Path, variables: list[str]):
        self.project = project
        self.variables = variables
        self.jobs = ci_files.github_jobs(project)
        self.ran: set[str] = set()

    def run(self, job: str, *variables: str) -> dict[str, str]:
        """Run the job's commands in order; return each command's output."""
        outputs = {}
        for command in self.jobs[job]:
            if command not in RUN_ELSEWHERE:
                arguments = command.removeprefix("make ").split()
                outputs[command] = make(self.project, *arguments, *self.variables, *variables)
        self.ran.add(job)
        return outputs

    def registry(self) -> dict:
        result = project_python(self.project, "-c", REGISTRY_STATE, package_of(self.project))
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)


def registry_state(champion: str, challenger: str, versions: int) -> dict:
    return {"aliases": {"champion": champion, "challenger": challenger}, "versions": versions}


def gate_decision(project: Path) -> dict:
    return json.loads(project_path(project, "gate_decision").read_text())


def served_version(outputs: dict[str, str]) -> str:
    (answer,) = [output for command, output in outputs.items() if command.startswith("make smoke")]
    found = SMOKE_ANSWER.search(answer)
    assert found, answer
    return found.group(1)


def new_labels(project: Path, raw_data: bytes | None, message: str) -> None:
    """Replace the labels of the project's data (shuffled, or the original `raw_data`) and
    version the table with DVC, as a person adding data does."""
    path = project_path(project, "raw_data")
    if raw_data is None:
        target = describe(project).target
        shuffled = project_python(project, "-c", SHUFFLE_LABELS, str(path), target)
        assert shuffled.returncode == 0, shuffled.stderr
    else:
        path.write_bytes(raw_data)
    added = project_python(project, "-m", "dvc", "add", str(path.relative_to(project)))
    assert added.returncode == 0, added.stdout + added.stderr
    commit_all(project, message)


@contextmanager
def traffic(url: str, rows: list[dict]) -> Iterator[None]:
    """Callers sending the rows to `url`, one after the other, until the block ends."""
    stop = threading.Event()
    statuses: list[int] = []

    def send() -> None:
        while not stop.is_set():
            for row in rows:
                statuses.append(call(url, row)[0])
                if stop.is_set():
                    break

    caller = threading.Thread(target=send)
    caller.start()
    try:
        yield
    finally:
        stop.set()
        caller.join()
    assert set(statuses) == {200}, sorted(set(statuses))


def test_ci_jobs_carry_changes_drift_rollback_and_a_canary_to_the_served_version(tmp_path_factory):
    require_engine()
    base = base_image(tmp_path_factory.mktemp("base"))
    project = bake_into(tmp_path_factory.mktemp("ci"), ci_provider="github")
    make(project, "setup")
    true_labels = project_path(project, "raw_data").read_bytes()
    # Any first model is good enough to be champion, however little it learnt.
    set_param(project, "gate", "worst_acceptable", 0.0)
    new_labels(project, None, "Data with labels not checked yet")
    # No bridge network on this engine: containers share the host's, each on its own port.
    pipelines = Pipelines(
        project,
        [
            f"BASE_IMAGE={base}",
            "DOCKER_BUILDKIT=0",
            "DOCKER_BUILD_FLAGS=--network host",
            "DOCKER_RUN_FLAGS=--network host --env PORT=$(RELEASE_PORT)",
        ],
    )
    try:
        # A change: trained, reported, registered, gated (no champion yet), promoted, shipped.
        outputs = {job: pipelines.run(job) for job in CHANGE}
        report = project_path(project, "ci_report").read_text()
        assert "### Metrics against `main`" in report
        assert "### Compute cost" in report
        decision = gate_decision(project)
        assert (decision["passed"], decision["challenger_version"]) == (True, "1")
        assert decision["champion_version"] is None
        assert pipelines.registry() == registry_state(champion="1", challenger="1", versions=1)
        assert served_version(outputs["deploy/staging"]) == "1"
        assert served_version(outputs["deploy/production"]) == "1"

        # The scheduled check on data like the training data: nothing to retrain.
        (check,) = [pipelines.run(job) for job in SCHEDULED_CHECK]
        assert "nothing to retrain: no drift" in check["make retrain-if-due"]
        assert pipelines.registry()["versions"] == 1

        # The true labels are in, and the served data has drifted: retrained, gated against the
        # champion, promoted by hand, shipped.
        new_labels(project, true_labels, "Data with checked labels")
        drifted = tmp_path_factory.mktemp("batch") / "drifted.csv"
        shift = ["make-batch", "--shift", "1", "--output", str(drifted)]
        batch = project_python(project, "-m", package_of(project), *shift)
        assert batch.returncode == 0, batch.stderr
        drift_batch = f"DRIFT_BATCH={drifted}"
        outputs = {job: pipelines.run(job, drift_batch) for job in DRIFT_RETRAINING}
        assert "registered" in outputs["drift/retrain-if-due"]["make retrain-if-due"]
        decision = gate_decision(project)
        assert (decision["passed"], decision["challenger_version"]) == (True, "2")
        assert decision["champion_version"] == "1"
        assert pipelines.registry() == registry_state(champion="2", challenger="2", versions=2)
        assert served_version(outputs["deploy/production"]) == "2"

        # Rollback: the champion it replaced is back, rebuilt, released and smoke-tested.
        (rollback,) = [pipelines.run(job) for job in ROLLBACK]
        assert "champion moved from version 2 back to version 1" in rollback["make rollback"]
        assert pipelines.registry() == registry_state(champion="1", challenger="2", versions=2)
        assert served_version(rollback) == "1"

        # A canary: the challenger (version 2) beside the champion in production's container,
        # answering half the callers; the canary job judges a window of their requests, finds
        # no breach and promotes it.
        set_param(project, "canary", "window_seconds", CANARY_WINDOW_SECONDS)
        set_param(project, "canary", "min_requests", CANARY_MIN_REQUESTS)
        export = ["export", "--model", "challenger", "--output", "build/canary"]
        exported = project_python(project, "-m", package_of(project), *export)
        assert exported.returncode == 0, exported.stderr
        production = ["ENVIRONMENT=production", *pipelines.variables]
        make(project, "release", "CANARY_MODEL=build/canary", "CANARY_WEIGHT=50", *production)
        make(project, "smoke", *production)
        rows = request_rows(project, project_path(project, "raw_data"))
        with traffic(f"http://127.0.0.1:{PRODUCTION_PORT}/predict", rows):
            (canary,) = [pipelines.run(job) for job in CANARY]
        assert "canary: promote: " in canary["make canary ENVIRONMENT=production"]
        assert pipelines.registry() == registry_state(champion="2", challenger="2", versions=2)

        assert pipelines.ran == set(pipelines.jobs), "a CI job is in no event of this story"
    finally:
        for environment in ("staging", "production"):
            docker("rm", "--force", f"{project.name}-{environment}", check=False)
