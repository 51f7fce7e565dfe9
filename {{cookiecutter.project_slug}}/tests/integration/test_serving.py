"""The service as a real process over HTTP, serving models the real pipeline registered."""

import csv
import json
from pathlib import Path

import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.config import load_params
from {{ cookiecutter.package_name }}.data import write_table
from {{ cookiecutter.package_name }}.schema import DATA
from {{ cookiecutter.package_name }}.tasks import project_task
from tests.integration.http_server import serving
from tests.integration.project_copy import cli, runner, set_param
from tests.synthetic import rows_of, synthetic_frame

PARAMS = load_params()
MODEL_NAME = PARAMS.mlflow.model_name
TASK = project_task(PARAMS.task.kind)
KEY = "X-Request-Key"


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return synthetic_frame(20, seed=1)


@pytest.fixture(scope="module")
def rows(frame) -> list[dict]:
    """What clients send: the identifiers and features of rows the description accepts."""
    return rows_of(frame)


@pytest.fixture(scope="module")
def registered(project, run) -> Path:
    """Champion version 1 and challenger version 2, both from `dvc repro`."""
    run("dvc", "repro")
    cli(run, "register")
    cli(run, "promote")
    set_param(project, "train", "C", 0.05)
    run("dvc", "repro")
    assert "version 2 as challenger" in cli(run, "register").stdout
    return project


def rollout(project: Path, log: Path, **variables: str):
    return runner(
        project,
        {
            "SERVING_CHALLENGER": f"models:/{MODEL_NAME}@challenger",
            "SERVING_PREDICTION_LOG": str(log),
            **{f"SERVING_{name.upper()}": value for name, value in variables.items()},
        },
    )


def test_a_canary_keeps_callers_on_one_version_and_rejects_bad_input(
    registered, run, rows, tmp_path
):
    log = tmp_path / "canary.jsonl"
    serve = rollout(registered, log, rollout="canary", challenger_weight="0.5", max_batch_rows="5")
    with serving(serve) as client:
        assert client.get("/health").json() == {"status": "alive"}
        assert client.get("/ready").json() == {
            "status": "ready",
            "champion": "1",
            "challenger": "2",
        }

        answered = {}
        for number in range(20):
            headers = {KEY: f"user-{number}"}
            versions = {
                client.post("/predict", json=rows[number], headers=headers).json()["model_version"]
                for _ in range(3)
            }
            assert len(versions) == 1, f"user-{number} saw versions {versions}"
            answered[number] = versions.pop()
        assert set(answered.values()) == {"1", "2"}

        feature = DATA.feature_names[-1]
        bad = {**rows[0], "not_a_column": "red"}
        del bad[feature]
        rejected = client.post("/predict", json=bad)
        assert rejected.status_code == 422
        messages = [problem["msg"] for problem in rejected.json()["detail"]]
        assert f"missing field {feature!r}" in messages
        assert any(message.startswith("unknown field 'not_a_column'") for message in messages)
        assert client.post("/predict", json=rows[:6]).status_code == 413
        assert client.post("/predict", json=rows[:5]).status_code == 200

        metrics = client.get("/metrics").text
        for version in ("1", "2"):
            assert 'serving_requests_total{mode="served",model_version="' + version in metrics
        assert 'serving_errors_total{kind="client",mode="served"' in metrics

        described = client.get("/model").json()
    lineage = json.loads(cli(run, "lineage", "champion", "--json").stdout)
    assert described["champion"]["lineage"] == lineage
    assert described["challenger"]["version"] == "2"
    assert described["rollout"] == {"mode": "canary", "challenger_weight": 0.5}

    report = json.loads(cli(run, "rollout-report", "--log", str(log), "--json").stdout)
    counted = {version["model_version"]: version["requests"] for version in report["versions"]}
    assert sum(counted.values()) == 61
    assert report["agreements"] == []


def test_in_shadow_callers_get_the_champion_and_the_log_compares_both(
    registered, run, rows, tmp_path
):
    log = tmp_path / "shadow.jsonl"
    with serving(rollout(registered, log, rollout="shadow")) as client:
        answers = [client.post("/predict", json=row).json() for row in rows[:10]]
        answers.append(client.post("/predict", json=rows[10:20]).json())
    # The challenger scores after each answer is sent; the server finishes that before it stops.
    assert {answer["model_version"] for answer in answers} == {"1"}
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert sorted((line["model_version"], line["mode"]) for line in lines) == sorted(
        [("1", "served")] * 11 + [("2", "shadow")] * 11
    )
    report = cli(run, "rollout-report", "--log", str(log)).stdout
    assert "Version 1 (served) and 2 (shadow)" in report
    assert "20 rows in 11 requests" in report
    summary = json.loads(cli(run, "rollout-report", "--log", str(log), "--json").stdout)
    assert summary["task"] == TASK.kind
    assert all(version["predicted"] for version in summary["versions"])


def test_an_export_serves_with_no_tracking_server(registered, run, frame, rows, tmp_path):
    export = tmp_path / "export"
    assert f"exported {MODEL_NAME} version 1" in cli(run, "export", "--output", str(export)).stdout
    # Exporting again replaces the export.
    cli(run, "export", "--output", str(export))
    offline = runner(
        registered,
        {
            "SERVING_MODEL": str(export),
            "SERVING_PREDICTION_LOG": str(tmp_path / "log.jsonl"),
            "MLFLOW_TRACKING_URI": "http://127.0.0.1:9",
        },
    )
    with serving(offline) as client:
        described = client.get("/model").json()["champion"]
        (answer,) = client.post("/predict", json=rows[0]).json()["predictions"]
        smoke = cli(offline, "smoke", "--url", str(client.base_url), "--timeout", "10")
    assert "model version 1 answered a prediction" in smoke.stdout
    assert described["lineage"] == json.loads(cli(run, "lineage", "1", "--json").stdout)
    assert list(answer) == [*DATA.identifiers, *TASK.output_columns()]

    sent = tmp_path / "sent.csv"
    write_table(frame.head(1), sent)
    batch = cli(run, "predict", "--model", "1", "--input", str(sent)).stdout.splitlines()
    (expected,) = csv.DictReader(batch)
    for name, dtype in TASK.output_columns().items():
        if dtype == "float64":
            assert answer[name] == pytest.approx(float(expected[name]))
        else:
            assert str(answer[name]) == expected[name]


def test_a_model_that_cannot_load_stops_the_server_with_a_clear_error(registered):
    serve = runner(registered, {"SERVING_MODEL": f"models:/{MODEL_NAME}@nobody"})
    result = cli(serve, "serve", "--port", "0", check=False)
    assert result.returncode == 1
    assert result.stderr.endswith(
        f"error: could not load the model: model {MODEL_NAME!r} has no version or alias 'nobody'\n"
    )
    assert "Traceback" not in result.stderr
