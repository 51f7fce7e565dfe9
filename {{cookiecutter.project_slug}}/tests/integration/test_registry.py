"""The registry against real MLflow stores: gate, promotion, rollback, lineage.

The champion's lifecycle runs twice, unchanged: on the embedded sqlite store, and on a
tracking server backed by PostgreSQL; only MLFLOW_TRACKING_URI differs. Its models are
trained on rows made from the project's own description, with a target that the features
decide: a model trained on the rows' real target beats one trained on shuffled labels, by
construction.
"""

import json
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from mlflow import MlflowClient

from {{ cookiecutter.package_name }}.core.config import load_params
from {{ cookiecutter.package_name }}.core.tasks import project_task
from {{ cookiecutter.package_name }}.project.model import TrainParams

from tests.integration.project_copy import (
    PROJECT_ROOT,
    Runner,
    cli,
    copy_project,
    runner,
    set_param,
)
from tests.integration.training import RAW_DATA, ROWS, shuffled, train_on
from tests.synthetic import synthetic_frame

PARAMS = load_params()
MODEL_NAME = PARAMS.mlflow.model_name
PRIMARY = project_task(PARAMS.task.kind).metrics[PARAMS.gate.primary_metric]
# Out of reach: every metric where greater is better is at most 1, every other at least 0.
UNREACHABLE = 2.0 if PRIMARY.greater_is_better else -1.0


@dataclass(frozen=True)
class Store:
    project: Path
    run: Runner
    client: MlflowClient


@pytest.fixture(
    scope="module", params=["embedded", pytest.param("server", marks=pytest.mark.services)]
)
def store(request, tmp_path_factory) -> Store:
    """A fresh project copy whose commands use the embedded store or the team's server."""
    project = copy_project(tmp_path_factory.mktemp(request.param) / PROJECT_ROOT.name)
    uri = (
        request.getfixturevalue("team_stack").tracking_uri
        if request.param == "server"
        else f"sqlite:///{project / 'mlflow.db'}"
    )
    run = runner(project, {"MLFLOW_TRACKING_URI": uri})
    cli(run, "init-tracking")
    return Store(project, run, MlflowClient(uri))


def versions(client: MlflowClient) -> list[str]:
    found = client.search_model_versions(f"name = '{MODEL_NAME}'")
    return sorted((str(version.version) for version in found), key=int)


def aliases(client: MlflowClient) -> dict[str, str]:
    found = client.get_registered_model(MODEL_NAME).aliases
    return {alias: str(version) for alias, version in found.items()}


def test_champion_lifecycle(store):
    project, run, client = store.project, store.run, store.client
    rows = synthetic_frame(ROWS, seed=7)
    primary = PRIMARY.name

    # A first version that misses the gate's bound is not promoted; the output says what next.
    first_commit = train_on(project, run, shuffled(rows, seed=1), "Train on shuffled labels")
    assert "version 1 as challenger" in cli(run, "register").stdout
    set_param(project, "gate", "worst_acceptable", UNREACHABLE)
    relax = "lower" if PRIMARY.greater_is_better else "raise"
    outcome = cli(run, "promote").stdout
    assert (
        "challenger version 1 is not promoted and there is no champion yet; improve the model, "
        f"or {relax} gate.worst_acceptable in params.yaml if {primary} is good enough"
    ) in outcome
    assert "make promote VERSION=1" in outcome
    assert "champion" not in aliases(client)

    # Within the bound, the first version becomes the champion.
    measured = json.loads((project / PARAMS.paths.metrics).read_text())[primary]
    within = measured - 1 if PRIMARY.greater_is_better else measured + 1
    set_param(project, "gate", "worst_acceptable", within)
    assert "version 1 is now the champion" in cli(run, "promote").stdout

    # The same model file again changes nothing.
    assert "already holds this model file" in cli(run, "register").stdout
    assert "already the champion; nothing to do" in cli(run, "promote").stdout
    assert versions(client) == ["1"]

    # A model of the real target is better, and is promoted, recording who, when, why and
    # what it replaced.
    better_commit = train_on(project, run, rows, "Train on the real target")
    better_metrics = json.loads((project / PARAMS.paths.metrics).read_text())
    cli(run, "register")
    assert "version 2 is now the champion, replacing version 1" in cli(run, "promote").stdout
    promoted = client.get_model_version(MODEL_NAME, "2")
    assert promoted.tags["previous_champion"] == "1"
    assert promoted.tags["promoted_by"]
    assert promoted.tags["promoted_at"]
    assert primary in promoted.tags["promotion_reason"]

    # A worse one is registered but stays challenger; that is not a failure. It is judged on
    # the real target's test set, where the champion was trained.
    train_on(project, run, shuffled(rows, seed=2), "Train on other shuffled labels")
    cli(run, "register")
    train_on(project, run, rows, "Back to the real target")
    outcome = cli(run, "promote")
    assert "challenger version 3 is not promoted; champion stays version 2" in outcome.stdout
    assert aliases(client) == {"champion": "2", "challenger": "3"}
    gate = json.loads((project / PARAMS.paths.gate_decision).read_text())
    assert (gate["passed"], gate["challenger_version"], gate["champion_version"]) == (
        False,
        "3",
        "2",
    )
    assert "does not pass" in (project / PARAMS.paths.gate_summary).read_text()
    assert cli(run, "promote", "--fail-on-reject", check=False).returncode == 1
    assert aliases(client)["champion"] == "2"

    # Lineage of the champion leads back to the commit, data and params it was trained on.
    record = json.loads(cli(run, "lineage", "champion", "--json").stdout)
    assert record["version"] == "2"
    assert record["tags"]["git_commit"] == better_commit != first_commit
    assert record["tags"]["git_dirty"] == "false"
    raw_data = yaml.safe_load((project / f"{RAW_DATA}.dvc").read_text())["outs"][0]
    assert record["tags"]["raw_data_md5"] == raw_data["md5"]
    train = yaml.safe_load((project / "params.yaml").read_text())["train"]
    best = json.loads((project / PARAMS.paths.tuned_params).read_text())["best_params"]
    used = TrainParams.model_validate({**train, **best}).model_dump()
    assert {name: record["params"][name] for name in used} == {
        name: str(value) for name, value in used.items()
    }
    assert record["metrics"][f"test_{primary}"] == better_metrics[primary]
    assert record == json.loads(cli(run, "lineage", f"models:/{MODEL_NAME}/2", "--json").stdout)
    assert "commit     " + better_commit in cli(run, "lineage", "2").stdout
    assert len({client.get_model_version(MODEL_NAME, v).tags["model_md5"] for v in "123"}) == 3

    # Rollback restores the previous champion in one command.
    assert "from version 2 back to version 1" in cli(run, "rollback").stdout
    assert aliases(client)["champion"] == "1"

    # The human approval path promotes a chosen version regardless of the gate.
    cli(run, "promote", "--version", "3", "--reason", "approved in review")
    assert aliases(client)["champion"] == "3"
    assert (
        client.get_model_version(MODEL_NAME, "3").tags["promotion_reason"] == "approved in review"
    )

    assert versions(client) == ["1", "2", "3"]


def test_concurrent_registration_loses_nothing(tmp_path):
    store = f"sqlite:///{tmp_path / 'shared.db'}"
    writers = []
    for index in range(4):
        copy = copy_project(tmp_path / f"writer-{index}")
        writers.append(runner(copy, {"MLFLOW_TRACKING_URI": store}))
    cli(writers[0], "init-tracking")

    def all_at_once(runs, *command):
        processes = [run(*command, background=True) for run in runs]
        for process in processes:
            _, stderr = process.communicate()
            assert process.returncode == 0, stderr
            assert "Traceback" not in stderr

    # Each training run logs a model file of its own (the file names its run).
    all_at_once(writers, "dvc", "repro")
    all_at_once(writers, sys.executable, "-m", "{{ cookiecutter.package_name }}", "register")
    # The same model from four processes is still one version.
    register = [sys.executable, "-m", "{{ cookiecutter.package_name }}", "register"]
    all_at_once([writers[0]] * 4, *register)

    client = MlflowClient(store)
    found = client.search_model_versions(f"name = '{MODEL_NAME}'")
    assert len(found) == 4
    assert len({version.tags["model_md5"] for version in found}) == 4
