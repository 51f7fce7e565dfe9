"""Small real models, saved with MLflow in the layout `export` writes, and apps serving them."""

import json
import time
from collections.abc import Callable
from pathlib import Path

import mlflow.sklearn
import pytest
from fastapi.testclient import TestClient
from mlflow.models import infer_signature

from {{ cookiecutter.package_name }}.config import TrainParams
from {{ cookiecutter.package_name }}.model import build_model
from {{ cookiecutter.package_name }}.schema import FEATURES, TARGET
from {{ cookiecutter.package_name }}.serving.app import create_app
from {{ cookiecutter.package_name }}.serving.export import LINEAGE_FILE, MODEL_DIR, SERVING_FILE
from {{ cookiecutter.package_name }}.serving.settings import ServingSettings

MODEL_NAME = "test-model"
READY_TIMEOUT_SECONDS = 60

Export = Callable[..., Path]


@pytest.fixture
def export(tmp_path, valid_frame) -> Export:
    """Fit the project's estimator and write it where `export` would, as version `version`."""

    def write(version: str, regularisation: float = 1.0, threshold: float = 0.5) -> Path:
        features, target = valid_frame[list(FEATURES)], valid_frame[TARGET]
        params = TrainParams(C=regularisation, max_iter=1000)
        model = build_model(params, seed=0).fit(features, target)
        directory = tmp_path / f"export-{version}"
        mlflow.sklearn.save_model(
            model,
            str(directory / MODEL_DIR),
            signature=infer_signature(features, model.predict(features)),
            input_example=features.head(2),
            # Listing requirements skips MLflow's slow inference of them.
            pip_requirements=mlflow.sklearn.get_default_pip_requirements(),
        )
        lineage = {
            "model_name": MODEL_NAME,
            "version": version,
            "run_id": f"run-{version}",
            "tags": {"git_commit": "abc123"},
        }
        (directory / LINEAGE_FILE).write_text(json.dumps(lineage))
        (directory / SERVING_FILE).write_text(json.dumps({"decision_threshold": threshold}))
        return directory

    return write


def wait_until_ready(client: TestClient) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        answer = client.get("/ready")
        if answer.status_code == 200 or answer.json()["status"] == "failed":
            return
        time.sleep(0.05)
    pytest.fail("the app did not finish loading")


@pytest.fixture
def serve(tmp_path):
    """Start an app with these settings (lifespan included) and wait until it has loaded."""
    clients = []

    def start(**settings) -> TestClient:
        settings.setdefault("prediction_log", str(tmp_path / "predictions.jsonl"))
        client = TestClient(create_app(ServingSettings(**settings)))
        client.__enter__()
        clients.append(client)
        wait_until_ready(client)
        return client

    yield start
    for client in clients:
        client.__exit__(None, None, None)


def row(frame, index: int = 0) -> dict[str, float]:
    return {name: float(frame.iloc[index][name]) for name in FEATURES}


def read_log(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]
