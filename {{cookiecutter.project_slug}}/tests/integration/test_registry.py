"""The registry against real MLflow stores: gate, promotion, rollback, lineage.

The champion's lifecycle runs twice, unchanged: on the embedded sqlite store, and on a
tracking server backed by PostgreSQL; only MLFLOW_TRACKING_URI differs.
"""

import json
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from mlflow import MlflowClient

from {{ cookiecutter.package_name }}.config import load_params
from tests.integration.project_copy import (
    PROJECT_ROOT,
    Runner,
    cli,
    commit_all,
    copy_project,
    runner,
    set_param,
)

MODEL_NAME = load_params().mlflow.model_name


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


def champion(client: MlflowClient) -> str:
    return str(client.get_model_version_by_alias(MODEL_NAME, "champion").version)


def train_with(project, run, inverse_regularisation: float) -> str:
    set_param(project, "train", "C", inverse_regularisation)
    commit = commit_all(run, f"Train with C={inverse_regularisation}")
    run("dvc", "repro")
    return commit


def test_champion_lifecycle(store):
    project, run, client = store.project, store.run, store.client

    first_commit = train_with(project, run, 1.0)
    assert "version 1 as challenger" in cli(run, "register").stdout
    assert "version 1 is now the champion" in cli(run, "promote").stdout

    # The same model file again changes nothing.
    assert "already holds this model file" in cli(run, "register").stdout
    assert "already the champion; nothing to do" in cli(run, "promote").stdout
    assert versions(client) == ["1"]

    # A worse model is registered but stays challenger; that is not a failure.
    train_with(project, run, 0.001)
    cli(run, "register")
    outcome = cli(run, "promote")
    assert "challenger version 2 is not promoted; champion stays version 1" in outcome.stdout
    assert champion(client) == "1"
    gate = json.loads((project / "reports/gate.json").read_text())
    assert (gate["passed"], gate["challenger_version"], gate["champion_version"]) == (
        False,
        "2",
        "1",
    )
    assert "does not pass" in (project / "reports/gate.md").read_text()
    assert cli(run, "promote", "--fail-on-reject", check=False).returncode == 1
    assert champion(client) == "1"

    # A better one is promoted, and records who, when, why and what it replaced.
    better_commit = train_with(project, run, 0.1)
    cli(run, "register")
    assert "version 3 is now the champion, replacing version 1" in cli(run, "promote").stdout
    promoted = client.get_model_version(MODEL_NAME, "3")
    assert promoted.tags["previous_champion"] == "1"
    assert promoted.tags["promoted_by"]
    assert promoted.tags["promoted_at"]
    assert "f1" in promoted.tags["promotion_reason"]

    # Lineage of the champion leads back to the commit and data it was trained on.
    record = json.loads(cli(run, "lineage", "champion", "--json").stdout)
    assert record["version"] == "3"
    assert record["tags"]["git_commit"] == better_commit != first_commit
    assert record["tags"]["git_dirty"] == "false"
    raw_data = yaml.safe_load((project / "data/raw/breast_cancer.csv.dvc").read_text())["outs"][0]
    assert record["tags"]["raw_data_md5"] == raw_data["md5"]
    lock = (project / "dvc.lock").read_text()
    assert f"md5: {record['tags']['model_md5']}" in lock
    assert record["params"]["C"] == "0.1"
    assert record["metrics"]["test_f1"] > 0.9
    assert record == json.loads(cli(run, "lineage", f"models:/{MODEL_NAME}/3", "--json").stdout)
    assert "commit     " + better_commit in cli(run, "lineage", "3").stdout

    # Rollback restores the previous champion in one command.
    assert "from version 3 back to version 1" in cli(run, "rollback").stdout
    assert champion(client) == "1"

    # The human approval path promotes a chosen version regardless of the gate.
    cli(run, "promote", "--version", "2", "--reason", "approved in review")
    assert champion(client) == "2"
    assert (
        client.get_model_version(MODEL_NAME, "2").tags["promotion_reason"] == "approved in review"
    )

    assert versions(client) == ["1", "2", "3"]


def test_concurrent_registration_loses_nothing(tmp_path):
    store = f"sqlite:///{tmp_path / 'shared.db'}"
    writers = []
    for index in range(4):
        copy = copy_project(tmp_path / f"writer-{index}")
        run = runner(copy, {"MLFLOW_TRACKING_URI": store})
        set_param(copy, "train", "C", 0.5 + index)
        writers.append(run)
    cli(writers[0], "init-tracking")

    def all_at_once(runs, *command):
        processes = [run(*command, background=True) for run in runs]
        for process in processes:
            _, stderr = process.communicate()
            assert process.returncode == 0, stderr
            assert "Traceback" not in stderr

    all_at_once(writers, "dvc", "repro")
    all_at_once(writers, sys.executable, "-m", "{{ cookiecutter.package_name }}", "register")
    # The same model from four processes is still one version.
    all_at_once([writers[0]] * 4, sys.executable, "-m", "{{ cookiecutter.package_name }}", "register")

    client = MlflowClient(store)
    found = client.search_model_versions(f"name = '{MODEL_NAME}'")
    assert len(found) == 4
    assert len({version.tags["model_md5"] for version in found}) == 4
