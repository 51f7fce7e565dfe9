"""Small real models, saved with MLflow in the layout `export` writes, and apps serving them."""

import json
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from {{ cookiecutter.package_name }}.core.config import load_params
from {{ cookiecutter.package_name }}.core.data import features_and_target
from {{ cookiecutter.package_name }}.core.description import Target
from {{ cookiecutter.package_name }}.core.model_files import load_estimator
from {{ cookiecutter.package_name }}.core.tasks import Task, project_task
from {{ cookiecutter.package_name }}.project.model import build_model
from {{ cookiecutter.package_name }}.project.schema import DATA
from {{ cookiecutter.package_name }}.scoring.predict import predict_frame
from {{ cookiecutter.package_name }}.serving.app import create_app
from {{ cookiecutter.package_name }}.serving.export import (
    LINEAGE_FILE,
    MODEL_DIR,
    write_serving_file,
)
from {{ cookiecutter.package_name }}.serving.settings import ServingSettings

from tests.saved_models import save_model
from tests.synthetic import rows_of

MODEL_NAME = "test-model"
READY_TIMEOUT_SECONDS = 60
PARAMS = load_params()
TASK = project_task(PARAMS.task.kind)

# A target of each task, for descriptions of our own.
TARGETS = {
    "binary": Target("y", labels=("no", "yes"), positive="yes"),
    "multiclass": Target("y", labels=("a", "b", "c")),
    "regression": Target("y"),
}

Export = Callable[..., Path]


@pytest.fixture
def export(tmp_path, valid_frame) -> Export:
    """Fit the project's estimator and write it where `export` would, as version `version`."""

    def write(version: str, regularisation: float = 1.0, threshold: float = 0.5) -> Path:
        features, target = features_and_target(valid_frame)
        params = PARAMS.train.model_copy(update={"C": regularisation})
        model = build_model(params, PARAMS.task.kind, seed=0).fit(features, target)
        directory = tmp_path / f"export-{version}"
        save_model(model, features, directory / MODEL_DIR)
        lineage = {
            "model_name": MODEL_NAME,
            "version": version,
            "run_id": f"run-{version}",
            "tags": {"git_commit": "abc123"},
        }
        (directory / LINEAGE_FILE).write_text(json.dumps(lineage))
        write_serving_file(directory, TASK, threshold)
        return directory

    return write


def expected_predictions(directory: Path, frame: pd.DataFrame, threshold: float = 0.5) -> list:
    """What the batch `predict` command gives for the rows a client sends (`rows_of`)."""
    estimator = load_estimator(directory / MODEL_DIR)
    sent = frame[[*DATA.identifiers, *DATA.feature_names]]
    return predict_frame(estimator, TASK, sent, threshold).to_dict(orient="records")


def assert_same_predictions(actual: list[dict], expected: list[dict]) -> None:
    assert [list(row) for row in actual] == [list(row) for row in expected]
    for ours, theirs in zip(actual, expected, strict=True):
        assert ours == pytest.approx(theirs)


def scores_for(task: Task, picks: list[int]) -> np.ndarray:
    """Scores from which `task` predicts class `picks[i]` for row i (at a threshold of 0.5),
    or for regression the value `picks[i]`."""
    if not task.classes:
        return np.array(picks, dtype=float)
    classes = len(task.classes)
    return np.eye(classes)[picks] * 0.6 + 0.4 / classes


def wait_until_ready(client: TestClient) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        answer = client.get("/ready")
        if answer.status_code == 200 or answer.json()["status"] == "failed":
            return
        time.sleep(0.05)
    pytest.fail("the app did not finish loading")


def settings_in(directory: Path, **settings) -> ServingSettings:
    """These settings, with the files the service writes and reads in `directory` unless they
    say otherwise: the prediction log, the labels and the monitoring results."""
    files = {
        "prediction_log": str(directory / "predictions.jsonl"),
        "labels": str(directory / "labels.jsonl"),
        "live_quality_result": directory / "live_quality.json",
        "drift_result": directory / "drift.json",
    }
    return ServingSettings(**files | settings)


@pytest.fixture
def serve(tmp_path):
    """Start an app with these settings (lifespan included) and wait until it has loaded."""
    clients = []

    def start(**settings) -> TestClient:
        client = TestClient(create_app(settings_in(tmp_path, **settings)))
        client.__enter__()
        clients.append(client)
        wait_until_ready(client)
        return client

    yield start
    for client in clients:
        client.__exit__(None, None, None)


def row(frame: pd.DataFrame, index: int = 0) -> dict:
    """Row `index` of the frame as a client sends it: identifiers and features."""
    return rows_of(frame.iloc[[index]])[0]


def read_log(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]
