"""The app over a real (small) model, through FastAPI's test client."""

import json
import logging
import os
import shutil
import stat
import subprocess
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sklearn.linear_model import LogisticRegression, Ridge

from {{ cookiecutter.package_name }}.core.data import features_and_target
from {{ cookiecutter.package_name }}.monitoring.labels import Joiner, LabelStore, stored_key
from {{ cookiecutter.package_name }}.project.model import build_model
from {{ cookiecutter.package_name }}.project.schema import DATA
from {{ cookiecutter.package_name }}.reporting.card.files import (
    ARTIFACT_DIR,
    HTML_FILE,
    MARKDOWN_FILE,
)
from {{ cookiecutter.package_name }}.serving.app import create_app
from {{ cookiecutter.package_name }}.serving.export import MODEL_DIR
from {{ cookiecutter.package_name }}.serving.prediction_log import logged_key

from tests.saved_models import save_model
from tests.unit.serving.conftest import (
    MODEL_NAME,
    PARAMS,
    READY_TIMEOUT_SECONDS,
    TASK,
    Export,
    assert_same_predictions,
    expected_predictions,
    read_log,
    row,
    settings_in,
)

UNKNOWN = "not_a_column"
JSON = {"Content-Type": "application/json"}
API_KEY = "a-key-long-enough-to-be-accepted"


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_health_readiness_and_a_prediction(serve, export, valid_frame, tmp_path):
    directory = export("4")
    client = serve(model=str(directory))
    assert client.get("/health").json() == {"status": "alive"}
    assert client.get("/ready").json() == {"status": "ready", "champion": "4"}

    answer = client.post("/predict", json=row(valid_frame))
    assert answer.status_code == 200
    assert answer.headers["X-Model-Version"] == "4"
    body = answer.json()
    assert body["model_version"] == "4"
    expected = expected_predictions(directory, valid_frame)
    assert_same_predictions(body["predictions"], expected[:1])

    batch = client.post("/predict", json=[row(valid_frame, index) for index in range(5)])
    assert_same_predictions(batch.json()["predictions"], expected[:5])

    (single, five) = read_log(tmp_path / "predictions.jsonl")
    assert single["inputs"] == [row(valid_frame)]
    assert single["outputs"] == body["predictions"]
    assert (five["model_version"], five["mode"], len(five["inputs"])) == ("4", "served", 5)


def test_client_errors_are_never_server_errors(serve, export, valid_frame):
    client = serve(model=str(export("4")), max_batch_rows=2)
    first = DATA.feature_names[0]
    missing = {**row(valid_frame), UNKNOWN: "red"}
    del missing[first]
    answer = client.post("/predict", json=missing)
    assert answer.status_code == 422
    messages = [item["msg"] for item in answer.json()["detail"]]
    assert f"missing field {first!r}" in messages
    assert any(f"unknown field {UNKNOWN!r}" in message for message in messages)

    assert client.post("/predict", json=[row(valid_frame)] * 3).status_code == 413
    answer = client.post("/predict", content=b"\xff\xfe", headers=JSON)
    assert answer.status_code == 422
    # No feature takes a list, whatever its kind.
    assert client.post("/predict", json={**row(valid_frame), first: [1]}).status_code == 422

    metrics = client.get("/metrics").text
    assert 'serving_errors_total{kind="client",mode="served",model_version="4"} 4.0' in metrics


def test_model_shows_clients_the_contract_and_key_holders_the_lineage(serve, export):
    client = serve(model=str(export("4")), api_key=API_KEY)
    assert client.get("/model").json() == {
        "champion": {
            "name": MODEL_NAME,
            "version": "4",
            "task": TASK.kind,
            "inputs": DATA.feature_names,
            "outputs": list(TASK.output_columns()),
        }
    }
    wrong = client.get("/model", headers={"Authorization": "Bearer not-the-key"})
    assert "lineage" not in wrong.json()["champion"]

    described = client.get("/model", headers=bearer(API_KEY)).json()
    assert described["rollout"] == {"mode": "none", "challenger_weight": None}
    assert (described["champion"]["version"], described["champion"]["task"]) == ("4", TASK.kind)
    assert described["champion"]["lineage"]["tags"]["git_commit"] == "abc123"
    assert "challenger" not in described


def test_the_card_is_served_as_a_page_and_as_markdown_to_callers_with_the_key(serve, export):
    directory = export("4")
    (directory / ARTIFACT_DIR).mkdir()
    markdown, page = "### Model card: test-model version 4\n", "<!DOCTYPE html>\n<h1>Card</h1>\n"
    (directory / ARTIFACT_DIR / MARKDOWN_FILE).write_text(markdown)
    (directory / ARTIFACT_DIR / HTML_FILE).write_text(page)
    client = serve(model=str(directory), api_key=API_KEY)
    assert client.get("/model/card").status_code == 401
    assert client.get("/model/card.md").status_code == 401

    answer = client.get("/model/card", headers=bearer(API_KEY))
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/html; charset=utf-8"
    assert answer.headers["X-Model-Version"] == "4"
    assert answer.text == page
    answer = client.get("/model/card.md", headers=bearer(API_KEY))
    assert answer.headers["content-type"] == "text/markdown; charset=utf-8"
    assert answer.text == markdown


def test_a_model_exported_without_a_card_has_none_to_serve(serve, export):
    client = serve(model=str(export("4")))
    for path in ("/model/card", "/model/card.md"):
        answer = client.get(path)
        assert answer.status_code == 404
        assert answer.json() == {
            "detail": "model version 4 is served without a model card: `make card MODEL=4` "
            "attaches one, which `make export` then exports with the model"
        }


def test_metrics_count_requests_rows_and_latency_per_version(serve, export, valid_frame):
    client = serve(model=str(export("4")))
    client.post("/predict", json=[row(valid_frame)] * 3)
    answer = client.get("/metrics")
    assert answer.headers["content-type"].startswith("text/plain")
    text = answer.text
    assert 'serving_requests_total{mode="served",model_version="4"} 1.0' in text
    assert 'serving_rows_total{mode="served",model_version="4"} 3.0' in text
    assert 'serving_latency_seconds_count{mode="served",model_version="4"} 1.0' in text
    assert 'serving_model_loaded{model_version="4",role="champion"} 1.0' in text


def test_the_docs_show_the_description_fields_and_the_task_outputs(serve, export):
    client = serve(model=str(export("4")))
    operation = client.get("/openapi.json").json()["paths"]["/predict"]["post"]
    row_schema = operation["requestBody"]["content"]["application/json"]["schema"]["anyOf"][0]
    assert list(row_schema["properties"]) == [*DATA.feature_names, *DATA.passthrough]
    answer = operation["responses"]["200"]["content"]["application/json"]["schema"]
    prediction = answer["properties"]["predictions"]["items"]
    assert list(prediction["properties"]) == [*DATA.passthrough, *TASK.output_columns()]
    assert client.get("/docs").status_code == 200


def test_a_canary_keeps_each_key_on_one_version(serve, export, valid_frame):
    client = serve(
        model=str(export("1")),
        challenger=str(export("2", regularisation=0.01)),
        rollout="canary",
        challenger_weight=0.5,
    )
    seen = {}
    for number in range(20):
        key = f"user-{number}"
        versions = {
            client.post("/predict", json=row(valid_frame), headers={"X-Request-Key": key}).headers[
                "X-Model-Version"
            ]
            for _ in range(3)
        }
        assert len(versions) == 1
        seen[key] = versions.pop()
    assert set(seen.values()) == {"1", "2"}
    assert client.get("/model").json()["challenger"]["version"] == "2"


def test_in_shadow_the_caller_gets_the_champion_and_both_are_logged(
    serve, export, valid_frame, tmp_path
):
    client = serve(
        model=str(export("1")), challenger=str(export("2", regularisation=0.01)), rollout="shadow"
    )
    answer = client.post("/predict", json=row(valid_frame), headers={"X-Request-Key": "k"})
    assert answer.json()["model_version"] == "1"
    served, shadow = read_log(tmp_path / "predictions.jsonl")
    assert (served["model_version"], served["mode"]) == ("1", "served")
    assert (shadow["model_version"], shadow["role"], shadow["mode"]) == (
        "2",
        "challenger",
        "shadow",
    )
    # The caller gets the id the log keeps, by which a label given later names the prediction.
    assert served["request_id"] == shadow["request_id"] == answer.headers["X-Request-Id"]
    # Hashed by default: the same key gives the same hash, and the key itself is not stored.
    assert served["request_key"] == shadow["request_key"] == logged_key("k", "hash")
    assert list(shadow["outputs"][0]) == list(served["outputs"][0])
    metrics = client.get("/metrics").text
    assert 'serving_requests_total{mode="shadow",model_version="2"} 1.0' in metrics


def test_before_loading_everything_but_health_is_unavailable(export, tmp_path):
    # Without the lifespan the models never load, as in the seconds after start-up.
    client = TestClient(create_app(settings_in(tmp_path, model=str(export("4")))))
    assert client.get("/health").status_code == 200
    paths = [("get", "/ready"), ("get", "/model"), ("post", "/predict"), ("post", "/feedback")]
    for method, path in paths:
        answer = client.request(method, path)
        assert answer.status_code == 503
        assert answer.headers["Retry-After"]


def test_a_worker_is_ready_once_every_worker_of_its_server_has_loaded(export, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    settings = settings_in(tmp_path, model=str(export("4")), workers=2)
    app = create_app(settings, shared_dir=shared)
    finished = subprocess.Popen(["true"])
    finished.wait()
    with TestClient(app) as client:
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while not app.state.service.ready and time.monotonic() < deadline:
            time.sleep(0.05)
        answer = client.get("/ready")
        assert answer.status_code == 503
        assert answer.json()["detail"] == "1 of 2 workers are still loading the model"
        # It scores all the same: a request that reaches it is answered.
        assert client.post("/predict", json={}).status_code == 422
        # The mark of a worker that has died does not count; a running one's does.
        (shared / f"loaded-{finished.pid}").touch()
        assert client.get("/ready").status_code == 503
        (shared / f"loaded-{os.getppid()}").touch()
        assert client.get("/ready").json() == {"status": "ready", "champion": "4"}
    # A worker that stops takes its mark away.
    assert not (shared / f"loaded-{os.getpid()}").exists()


def test_a_failed_load_is_reported_by_ready(serve, tmp_path):
    client = serve(model=str(tmp_path / "nowhere"))
    answer = client.get("/ready")
    assert answer.status_code == 503
    assert answer.json()["status"] == "failed"
    assert "not a model export" in answer.json()["detail"]
    assert "failed to load" in client.post("/predict", json={}).json()["detail"]


def test_with_an_api_key_predict_needs_it_and_the_probes_stay_open(serve, export, valid_frame):
    client = serve(model=str(export("4")), api_key=API_KEY)
    assert client.get("/health").status_code == 200
    assert client.get("/ready").status_code == 200
    for headers in [{}, bearer("not-the-key"), {"Authorization": API_KEY}]:
        refused = client.post("/predict", json=row(valid_frame), headers=headers)
        assert refused.status_code == 401
        assert refused.headers["WWW-Authenticate"] == "Bearer"
        assert "SERVING_API_KEY" in refused.json()["detail"]
    answer = client.post("/predict", json=row(valid_frame), headers=bearer(API_KEY))
    assert answer.status_code == 200


def test_only_json_is_scored(serve, export, valid_frame):
    client = serve(model=str(export("4")))
    body = json.dumps(row(valid_frame))
    for content_type in ["text/plain", "application/x-www-form-urlencoded", ""]:
        answer = client.post("/predict", content=body, headers={"Content-Type": content_type})
        assert answer.status_code == 415
        assert "Content-Type: application/json" in answer.json()["detail"]
    charset = {"Content-Type": "application/json; charset=utf-8"}
    assert client.post("/predict", content=body, headers=charset).status_code == 200


def test_a_body_over_the_limit_is_refused_declared_or_streamed(serve, export, valid_frame):
    body = json.dumps([row(valid_frame)] * 3).encode()
    client = serve(model=str(export("4")), max_body_bytes=len(body) - 1)
    declared = client.post("/predict", content=body, headers=JSON)
    assert declared.status_code == 413
    assert "SERVING_MAX_BODY_BYTES" in declared.json()["detail"]
    # Chunked, with no length declared: the bytes are counted as they come.
    chunks = iter([body[:10], body[10:]])
    streamed = client.post("/predict", content=chunks, headers=JSON)
    assert streamed.status_code == 413
    assert client.post("/predict", json=[row(valid_frame)] * 2).status_code == 200
    metrics = client.get("/metrics").text
    assert 'serving_errors_total{kind="client",mode="served",model_version="4"} 2.0' in metrics


def test_the_log_holds_the_validated_values_not_the_bytes_sent(
    serve, export, valid_frame, tmp_path
):
    client = serve(model=str(export("4")))
    padded = json.dumps(row(valid_frame)).replace(",", "," + " " * 10_000)
    assert client.post("/predict", content=padded, headers=JSON).status_code == 200
    log = tmp_path / "predictions.jsonl"
    (line,) = log.read_text().splitlines()
    assert len(line) < 10_000
    assert json.loads(line)["inputs"] == [row(valid_frame)]


def failing_export(export: Export, frame, version: str) -> Path:
    """An export whose model loads and then fails on every row: it was fitted on one column
    more than the description's features, which its signature names all the same."""
    directory = export(version)
    shutil.rmtree(directory / MODEL_DIR)
    features, target = features_and_target(frame)
    wider = np.random.default_rng(0).random((len(frame), len(DATA.features) + 1))
    estimator = Ridge() if TASK.kind == "regression" else LogisticRegression()
    save_model(estimator.fit(wider, target), features, directory / MODEL_DIR, example=False)
    return directory


# The failing model was fitted on an array: its failure, not this warning, is the point.
FITTED_WITHOUT_NAMES = "ignore:X has feature names"


@pytest.mark.filterwarnings(FITTED_WITHOUT_NAMES)
def test_a_model_that_fails_is_a_500_without_its_traceback(
    serve, export, valid_frame, tmp_path, caplog
):
    client = serve(model=str(failing_export(export, valid_frame, "4")))
    answer = client.post("/predict", json=row(valid_frame))
    assert answer.status_code == 500
    assert answer.headers["X-Model-Version"] == "4"
    assert answer.json() == {"detail": "model version 4 failed to score the request; see the log"}
    # The traceback goes to the log, never to the caller.
    (failure,) = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert failure.getMessage() == "model version 4 failed to score a request"
    assert failure.exc_info is not None
    metrics = client.get("/metrics").text
    assert 'serving_errors_total{kind="server",mode="served",model_version="4"} 1.0' in metrics
    assert 'serving_errors_total{kind="client",mode="served",model_version="4"} 0.0' in metrics
    assert 'serving_requests_total{mode="served",model_version="4"} 1.0' in metrics
    assert read_log(tmp_path / "predictions.jsonl") == []
    # The service stays up.
    assert client.get("/ready").status_code == 200


@pytest.mark.filterwarnings(FITTED_WITHOUT_NAMES)
def test_in_shadow_a_failing_challenger_is_counted_and_logged_not_seen(
    serve, export, valid_frame, tmp_path, caplog
):
    champion = export("1")
    client = serve(
        model=str(champion),
        challenger=str(failing_export(export, valid_frame, "2")),
        rollout="shadow",
    )
    answer = client.post("/predict", json=row(valid_frame))
    assert answer.status_code == 200
    assert answer.json()["model_version"] == "1"
    assert_same_predictions(
        answer.json()["predictions"], expected_predictions(champion, valid_frame)[:1]
    )
    (failure,) = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert failure.getMessage() == "challenger version 2 failed in shadow"
    assert failure.exc_info is not None
    metrics = client.get("/metrics").text
    assert 'serving_requests_total{mode="shadow",model_version="2"} 1.0' in metrics
    assert 'serving_errors_total{kind="server",mode="shadow",model_version="2"} 1.0' in metrics
    assert 'serving_errors_total{kind="server",mode="served",model_version="1"} 0.0' in metrics
    # Only the champion's prediction is logged.
    (served,) = read_log(tmp_path / "predictions.jsonl")
    assert (served["model_version"], served["mode"]) == ("1", "served")


def test_a_challenger_taking_other_inputs_is_refused_and_nothing_is_served(
    serve, export, valid_frame
):
    challenger = export("2")
    features, target = features_and_target(valid_frame)
    renamed = features.rename(columns={DATA.feature_names[0]: UNKNOWN})
    model = build_model(PARAMS.train, PARAMS.task.kind, seed=0).fit(renamed, target)
    shutil.rmtree(challenger / MODEL_DIR)
    save_model(model, renamed, challenger / MODEL_DIR)
    client = serve(model=str(export("1")), challenger=str(challenger), rollout="shadow")
    answer = client.get("/ready")
    assert answer.status_code == 503
    assert answer.json()["status"] == "failed"
    assert answer.json()["detail"].startswith(
        f"{challenger}: the model takes the inputs {list(renamed.columns)}, but "
    )
    refused = client.post("/predict", json=row(valid_frame))
    assert refused.status_code == 503
    assert refused.json()["detail"].startswith("the model failed to load: ")


# A label of the task, as a client sends it in JSON.
LABEL = TASK.classes[0] if TASK.classes else 1.5


def test_feedback_records_labels_that_join_the_logged_predictions(
    serve, export, valid_frame, tmp_path
):
    client = serve(model=str(export("4")))
    answered = client.post("/predict", json=[row(valid_frame, 0), row(valid_frame, 1)])
    request_id = answered.headers["X-Request-Id"]
    client.post("/predict", json=row(valid_frame), headers={"X-Request-Key": "caller-7"})

    # One label as an object, then several as an array: by the request's id, or by its key.
    one = client.post("/feedback", json={"key": request_id, "label": LABEL, "row": 1})
    assert one.status_code == 202
    assert one.json()["recorded"] == 1
    assert "make live-quality" in one.json()["detail"]
    given = [{"key": request_id, "label": LABEL}, {"key": "caller-7", "label": LABEL}]
    assert client.post("/feedback", json=given).json()["recorded"] == 2

    store = LabelStore(tmp_path / "labels.jsonl")
    labels = store.read()
    assert [(label.row, label.label, label.source) for label in labels] == [
        (1, LABEL, "http"), (0, LABEL, "http"), (0, LABEL, "http")
    ]  # fmt: skip
    assert "caller-7" not in store.path.read_text()
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    records = read_log(tmp_path / "predictions.jsonl")
    counts, matches = Joiner(records, timedelta(hours=1)).join(labels)
    assert counts["joined"] == 3
    assert {(match.record["request_id"], match.label.row) for match in matches} == {
        (request_id, 1), (request_id, 0), (records[1]["request_id"], 0)
    }  # fmt: skip
    metrics = client.get("/metrics").text
    assert 'serving_feedback_total{outcome="recorded"} 3.0' in metrics
    body = client.get("/openapi.json").json()["paths"]["/feedback"]["post"]["requestBody"]
    (one, several) = body["content"]["application/json"]["schema"]["anyOf"]
    assert one["required"] == ["key", "label"]
    assert several["items"] == one


def test_feedback_with_a_malformed_label_records_none_and_names_each_problem(
    serve, export, tmp_path
):
    client = serve(model=str(export("4")))
    body = [
        {"key": "a", "label": LABEL},
        {"key": "b", "label": "not-a-label"},
        {"key": "", "label": LABEL},
        {"key": "d", "label": LABEL, "row": -1},
        {"key": "e", "label": LABEL, "time": "2026-05-30T10:00"},
        {"key": "f", "labl": LABEL},
        "g",
    ]
    answer = client.post("/feedback", json=body)
    assert answer.status_code == 422
    assert answer.json()["recorded"] == 0
    problems = {tuple(problem["loc"]): problem["msg"] for problem in answer.json()["detail"]}
    assert list(problems) == [
        ("body", 1, "label"), ("body", 2, "key"), ("body", 3, "row"), ("body", 4, "time"),
        ("body", 5, "labl"), ("body", 6),
    ]  # fmt: skip
    assert "not-a-label" in problems["body", 1, "label"]
    assert "time zone" in problems["body", 4, "time"]
    assert not (tmp_path / "labels.jsonl").exists()
    metrics = client.get("/metrics").text
    assert 'serving_feedback_total{outcome="rejected"} 7.0' in metrics


@pytest.mark.parametrize(
    ("body", "where", "problem"),
    [(b"{", ["body"], "not JSON"), (b"[]", ["body"], "at least one label"),
     (b'{"label": 1}', ["body", "key"], "no key")],
)  # fmt: skip
def test_feedback_that_is_no_label_is_refused(serve, export, tmp_path, body, where, problem):
    client = serve(model=str(export("4")))
    answer = client.post("/feedback", content=body, headers=JSON)
    assert answer.status_code == 422
    (found,) = answer.json()["detail"]
    assert found["loc"] == where
    assert problem in found["msg"]
    assert not (tmp_path / "labels.jsonl").exists()


def test_feedback_needs_the_key_json_and_a_body_within_the_limit(serve, export):
    body = json.dumps({"key": "k", "label": LABEL})
    client = serve(model=str(export("4")), api_key=API_KEY, max_body_bytes=len(body))
    for headers in [{}, bearer("not-the-key")]:
        assert client.post("/feedback", content=body, headers=JSON | headers).status_code == 401
    keyed = bearer(API_KEY)
    plain = {"Content-Type": "text/plain"}
    assert client.post("/feedback", content=body, headers=plain | keyed).status_code == 415
    too_large = json.dumps({"key": "k2", "label": LABEL})
    answer = client.post("/feedback", content=too_large, headers=JSON | keyed)
    assert answer.status_code == 413
    assert client.post("/feedback", content=body, headers=JSON | keyed).status_code == 202


def test_feedback_to_standard_output_writes_each_label_as_a_line(serve, export, capfd):
    client = serve(model=str(export("4")), labels="-")
    assert client.post("/feedback", json={"key": "k", "label": LABEL}).status_code == 202
    (line,) = [line for line in capfd.readouterr().out.splitlines() if '"source"' in line]
    assert json.loads(line)["key"] == stored_key("k")
