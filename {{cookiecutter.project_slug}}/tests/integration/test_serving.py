"""The service as a real process over HTTP, serving models the real pipeline registered."""

import csv
import json
import shutil
import socket
import stat
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pandas as pd
import pytest
from mlflow import MlflowClient
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from {{ cookiecutter.package_name }}.core.config import load_params
from {{ cookiecutter.package_name }}.core.data import write_table
from {{ cookiecutter.package_name }}.core.tasks import project_task
from {{ cookiecutter.package_name }}.project.schema import DATA
from {{ cookiecutter.package_name }}.serving.prediction_log import log_files

from tests.integration.http_server import resident_bytes, running, serving, upload
from tests.integration.project_copy import cli, runner, set_param
from tests.saved_models import plant_pickle
from tests.synthetic import rows_of, synthetic_frame

PARAMS = load_params()
MODEL_NAME = PARAMS.mlflow.model_name
TASK = project_task(PARAMS.task.kind)
KEY = "X-Request-Key"
API_KEY = "live-test-key-0123456789"
AUTHORISED = {"Authorization": f"Bearer {API_KEY}"}
MIB = 1024 * 1024


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
    serve = rollout(
        registered,
        log,
        rollout="canary",
        challenger_weight="0.5",
        max_batch_rows="5",
        api_key=API_KEY,
    )
    with serving(serve) as client:
        client.headers.update(AUTHORISED)
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


def test_labels_measure_each_version_live_and_reach_the_run_that_trained_it(
    registered, run, frame, rows, tmp_path
):
    """The labels of a shadow rollout's predictions, named by the ids the service answered,
    measure both versions; each version's live metrics go to its run in the registry."""
    log = tmp_path / "labelled.jsonl"
    with serving(rollout(registered, log, rollout="shadow")) as client:
        ids = [client.post("/predict", json=row).headers["X-Request-Id"] for row in rows]
    labels = tmp_path / "labels.csv"
    with labels.open("w", newline="") as stream:
        truth = zip(ids, frame[DATA.target.name], strict=True)
        csv.writer(stream).writerows([("key", "label"), *truth])
    recorded = cli(run, "feedback", "--labels", str(labels), "--log", str(log)).stdout
    assert f"recorded {len(rows)} labels" in recorded
    assert f": {len(rows)} label a prediction;" in recorded
    cli(run, "live-quality", "--log", str(log))
    measured = json.loads((registered / PARAMS.paths.live_quality_result).read_text())
    assert {(v["model_version"], v["mode"], v["labelled"]) for v in measured["versions"]} == {
        ("1", "served", len(rows)),
        ("2", "shadow", len(rows)),
    }
    client = MlflowClient(f"sqlite:///{registered / 'mlflow.db'}")
    for version in ("1", "2"):
        run_id = client.get_model_version(MODEL_NAME, version).run_id
        (labelled,) = client.get_metric_history(run_id, "live_labelled")
        assert labelled.value == len(rows)


def test_labels_sent_to_the_service_are_measured_and_the_results_show_on_its_metrics(
    registered, run, frame, rows, tmp_path
):
    """Two workers take labels by request id and by key into params.yaml's label store;
    `live-quality` joins them, and /metrics then shows its result and drift's, from either
    worker."""
    log = tmp_path / "feedback.jsonl"
    results = [
        registered / PARAMS.paths.live_quality_result,
        registered / PARAMS.paths.drift_result,
    ]
    for path in results:
        path.unlink(missing_ok=True)
    serve = runner(registered, {"SERVING_WORKERS": "2", "SERVING_PREDICTION_LOG": str(log)})
    truth = frame[DATA.target.name].tolist()
    with running(serve) as server:
        client = server.client
        ids = [client.post("/predict", json=row).headers["X-Request-Id"] for row in rows[:10]]
        for number, row in enumerate(rows[10:], start=10):
            client.post("/predict", json=row, headers={KEY: f"caller-{number}"})
        # A batch of every row, as a third caller sends it: enough rows for a drift check.
        client.post("/predict", json=rows, headers={KEY: "caller-batch"})
        given = [{"key": id_, "label": label} for id_, label in zip(ids, truth, strict=False)]
        given += [{"key": f"caller-{number}", "label": truth[number]} for number in range(10, 20)]
        given.append({"key": "caller-batch", "row": 3, "label": truth[3]})
        malformed = [{"key": ids[0], "label": truth[0]}, {"key": ids[1], "label": [1]}]
        refused = client.post("/feedback", json=malformed)
        assert refused.status_code == 422
        assert [problem["loc"] for problem in refused.json()["detail"]] == [["body", 1, "label"]]
        answers = [client.post("/feedback", json=given[start::3]) for start in range(3)]
        assert [answer.status_code for answer in answers] == [202] * 3
        assert sum(answer.json()["recorded"] for answer in answers) == len(given)
        before = client.get("/metrics").text
        cli(run, "live-quality", "--log", str(log), "--no-mlflow")
        drifted = cli(run, "drift", str(log), check=False).returncode
        assert drifted in (0, 3)
        expositions = [client.get("/metrics").text for _ in range(6)]
    assert "model_live_quality" not in before
    assert "monitoring_report_timestamp_seconds" not in before

    measured = json.loads(results[0].read_text())
    assert measured["label_outcomes"]["joined"] == len(given)
    (champion,) = measured["versions"]
    assert (champion["model_version"], champion["rows"], champion["labelled"]) == ("1", 40, 21)
    for text in expositions:
        series = {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        }
        version = (("mode", "served"), ("model_version", "1"), ("role", "champion"))
        assert series["model_live_labelled_rows", version] == 21
        assert series["model_live_scored_rows", version] == 40
        assert series["model_retrain_due", (("reason", "drift"),)] == (drifted == 3)
        assert series["model_drift_batch_rows", ()] == 40
        assert series["serving_feedback_total", (("outcome", "recorded"),)] == len(given)
        assert series["serving_feedback_total", (("outcome", "rejected"),)] == 2
        for report, path in zip(("live_quality", "drift"), results, strict=True):
            written = series["monitoring_report_timestamp_seconds", (("report", report),)]
            assert written == pytest.approx(path.stat().st_mtime)


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
    # Without SERVING_API_KEY, /model shows what a client needs and no lineage.
    assert described == {
        "name": MODEL_NAME,
        "version": "1",
        "task": TASK.kind,
        "inputs": DATA.feature_names,
        "outputs": list(TASK.output_columns()),
    }
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


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_model_that_cannot_load_stops_the_server_with_a_clear_error(
    registered, workers, tmp_path
):
    serve = runner(
        registered, {"SERVING_MODEL": f"models:/{MODEL_NAME}@nobody", "TMPDIR": str(tmp_path)}
    )
    result = cli(serve, "serve", "--port", "0", "--workers", workers, check=False)
    assert result.returncode == 1
    assert result.stderr.endswith(
        f"error: could not load the model: model {MODEL_NAME!r} has no version or alias 'nobody'\n"
    )
    assert "Traceback" not in result.stderr
    assert not shared_dirs(tmp_path)


def shared_dirs(temporary: Path) -> list[Path]:
    """The directories a server of several workers shares with them, in its TMPDIR."""
    return list(temporary.glob("{{ cookiecutter.package_name }}-serve-*"))


def served_requests(exposition: str) -> float:
    """Requests answered, by every model version, in a Prometheus exposition."""
    return sum(
        sample.value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
        if sample.name == "serving_requests_total" and sample.labels["mode"] == "served"
    )


def worker_exposition(counters: Path) -> str:
    """One worker's counters alone: its own file (counter_<pid>.db), read as /metrics reads all
    the workers' files."""
    with tempfile.TemporaryDirectory() as alone:
        shutil.copy(counters, alone)
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=alone)
        return generate_latest(registry).decode()


def post_apart(port: int, bodies: list, keys: list[str | None]) -> list[httpx.Response]:
    """POST /predict each body with its key, eight at a time, each on a connection of its own:
    every new connection goes to whichever worker accepts it first."""

    def post(body, key: str | None) -> httpx.Response:
        headers = {} if key is None else {KEY: key}
        return httpx.post(f"http://127.0.0.1:{port}/predict", json=body, headers=headers)

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(post, bodies, keys))


def test_two_workers_share_the_requests_and_count_and_log_each_once(registered, rows, tmp_path):
    log = tmp_path / "predictions.jsonl"
    temporary = tmp_path / "server-tmp"
    temporary.mkdir()
    serve = runner(
        registered,
        {
            "TMPDIR": str(temporary),
            "SERVING_WORKERS": "2",
            "SERVING_ROLLOUT": "canary",
            "SERVING_CHALLENGER": f"models:/{MODEL_NAME}@challenger",
            "SERVING_CHALLENGER_WEIGHT": "0.5",
            "SERVING_PREDICTION_LOG": str(log),
            # A rotation every few lines, each by whichever worker finds the file full.
            "SERVING_PREDICTION_LOG_MAX_BYTES": str(16 * 1024),
            "SERVING_PREDICTION_LOG_BACKUPS": "1000",
        },
    )
    sent = 120
    bodies = [rows[:5] if number % 4 == 0 else rows[number % len(rows)] for number in range(sent)]
    keys = [f"user-{number % 20}" for number in range(sent)]
    with running(serve) as server:
        (shared,) = shared_dirs(temporary)
        answers = post_apart(server.port, bodies, keys)
        expositions = [httpx.get(f"http://127.0.0.1:{server.port}/metrics").text for _ in range(6)]
        by_worker = [served_requests(worker_exposition(file)) for file in shared.glob("counter_*")]
    assert [answer.status_code for answer in answers] == [200] * sent
    # Each key reached one version, whichever worker took each of its requests.
    versions = {}
    for key, answer in zip(keys, answers, strict=True):
        versions.setdefault(key, set()).add(answer.json()["model_version"])
    assert all(len(seen) == 1 for seen in versions.values()), versions
    assert set.union(*versions.values()) == {"1", "2"}
    # Both workers answered; whichever answers /metrics counts every request once.
    assert len(by_worker) == 2
    assert min(by_worker) > 0, by_worker
    assert sum(by_worker) == sent
    assert [served_requests(text) for text in expositions] == [sent] * len(expositions)
    assert 'serving_model_loaded{model_version="2",role="challenger"} 1.0' in expositions[0]

    files = log_files(log)
    lines = [json.loads(line) for file in files for line in file.read_text().splitlines()]
    assert len(lines) == len({line["request_id"] for line in lines}) == sent
    assert sorted(line["model_version"] for line in lines) == sorted(
        answer.json()["model_version"] for answer in answers
    )
    assert len(files) > 2
    assert all(file.stat().st_size <= 16 * 1024 for file in files)
    assert not shared.exists()


def test_two_workers_write_whole_lines_to_standard_output(registered, rows):
    """Lines of some 80 kB, far over what a pipe writes in one piece (4 KiB)."""
    serve = runner(registered, {"SERVING_WORKERS": "2", "SERVING_PREDICTION_LOG": "-"})
    sent = 100
    with running(serve) as server:
        answers = post_apart(server.port, [rows * 5] * sent, [None] * sent)
    assert [answer.status_code for answer in answers] == [200] * sent
    lines = [json.loads(line) for line in server.stdout.splitlines()]
    assert len(lines) == len({line["request_id"] for line in lines}) == sent
    assert all(len(line["inputs"]) == len(rows) * 5 for line in lines)


def register_directory(project: Path, directory: Path) -> str:
    """Register a model directory as a new version, as anyone who can write the registry can;
    return its number. No alias moves."""
    client = MlflowClient(f"sqlite:///{project / 'mlflow.db'}")
    experiment = client.get_experiment_by_name(PARAMS.mlflow.experiment).experiment_id
    run_id = client.create_run(experiment).info.run_id
    client.log_artifacts(run_id, str(directory), "model")
    client.set_terminated(run_id)
    source = f"{client.get_run(run_id).info.artifact_uri}/model"
    return str(client.create_model_version(MODEL_NAME, source, run_id=run_id).version)


def test_a_model_planted_with_a_pickle_runs_nowhere(registered, run, tmp_path):
    """A registered version and an export, each switched to pickle with a payload: the gate,
    batch scoring and serving refuse them in one line, and the payload never runs."""
    marker = tmp_path / "the-model-ran-code"
    planted = shutil.copytree(registered / PARAMS.paths.model, tmp_path / "planted")
    plant_pickle(planted, marker)
    version = register_directory(registered, planted)
    refusal = "refused to load the model: it is saved as 'pickle'"

    scored = tmp_path / "scored.csv"
    score = ("score", "--input", str(PARAMS.paths.raw_data), "--output", str(scored))
    for command in (
        ("gate", "--version", version),
        ("predict", "--model", version),
        (*score, "--model", version),
    ):
        result = cli(run, *command, check=False)
        assert result.returncode == 1, command
        assert result.stderr.splitlines()[-1].startswith(
            f"error: model {MODEL_NAME!r} version {version}: {refusal}"
        ), result.stderr
        assert "Traceback" not in result.stderr

    export = tmp_path / "export"
    cli(run, "export", "--model", "1", "--output", str(export))
    plant_pickle(export / "model", marker)
    for source, named in (
        (f"models:/{MODEL_NAME}/{version}", f"models:/{MODEL_NAME}/{version} (version {version})"),
        (str(export), f"{export} (version 1)"),
    ):
        serve = runner(registered, {"SERVING_MODEL": source})
        result = cli(serve, "serve", "--port", "0", check=False)
        assert result.returncode == 1
        assert result.stderr.splitlines()[-1].startswith(
            f"error: could not load the model: {named}: {refusal}"
        ), result.stderr
        assert "Traceback" not in result.stderr

    assert not marker.exists()
    assert not scored.exists()
    # The registry is as it was: the planted version holds no alias.
    client = MlflowClient(f"sqlite:///{registered / 'mlflow.db'}")
    aliases = client.get_registered_model(MODEL_NAME).aliases
    assert {alias: str(number) for alias, number in aliases.items()} == {
        "champion": "1",
        "challenger": "2",
    }


@pytest.fixture
def guarded(registered, tmp_path):
    """The champion behind a key, with a short body timeout, few request slots and a log that
    rotates at 16 KiB."""
    return runner(
        registered,
        {
            "SERVING_API_KEY": API_KEY,
            "SERVING_BODY_TIMEOUT_SECONDS": "3",
            "SERVING_MAX_CONCURRENT_REQUESTS": "8",
            "SERVING_PREDICTION_LOG": str(tmp_path / "predictions.jsonl"),
            "SERVING_PREDICTION_LOG_MAX_BYTES": str(16 * 1024),
        },
    )


def test_oversized_bodies_are_refused_before_they_are_read(guarded, rows):
    headers = {**AUTHORISED, "Content-Type": "application/json"}
    size = 200 * MIB
    with running(guarded) as server, ThreadPoolExecutor(6) as pool:
        for _ in range(3):
            assert server.client.post("/predict", json=rows, headers=AUTHORISED).is_success
        before = resident_bytes(server.process)
        # Six at once: three declaring their length, three in chunks whose bytes are counted.
        statuses = list(
            pool.map(
                lambda chunked: upload(server.port, headers, size, chunked=chunked),
                [False, True] * 3,
            )
        )
        grown = resident_bytes(server.process) - before
        assert server.client.post("/predict", json=rows, headers=AUTHORISED).is_success
    assert statuses == [413] * 6
    # Not one body's worth, let alone six.
    assert grown < size / 4, f"the server grew by {grown / MIB:.0f} MiB"


def test_a_slow_body_holds_only_its_own_slot_until_its_timeout(guarded, rows):
    headers = {**AUTHORISED, "Content-Type": "application/json"}

    def dribble() -> int:
        return upload(server.port, headers, 1000, piece_bytes=1, interval_seconds=0.2)

    with running(guarded) as server, ThreadPoolExecutor(8) as pool:
        client = server.client
        slow = [pool.submit(dribble)]
        time.sleep(0.5)
        started = time.monotonic()
        assert client.post("/predict", json=rows[0], headers=AUTHORISED).status_code == 200
        assert time.monotonic() - started < 1
        # All eight slots held by dribbling clients: the next request is told to come back,
        # and the probes still answer.
        slow += [pool.submit(dribble) for _ in range(7)]
        time.sleep(0.5)
        busy = client.post("/predict", json=rows[0], headers=AUTHORISED)
        assert (busy.status_code, busy.headers["Retry-After"]) == (503, "1")
        assert client.get("/health").status_code == client.get("/ready").status_code == 200
        # Each is cut by SERVING_BODY_TIMEOUT_SECONDS, freeing its slot.
        assert [future.result() for future in slow] == [408] * 8
        assert client.post("/predict", json=rows[0], headers=AUTHORISED).status_code == 200
        assert "serving_busy_total 1.0" in client.get("/metrics").text

        # A client that gives up mid-upload.
        with socket.create_connection(("127.0.0.1", server.port)) as connection:
            connection.sendall(
                b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + f"Authorization: Bearer {API_KEY}\r\nContent-Length: 1000\r\n\r\n".encode()
                + b'[{"a": '
            )
        time.sleep(0.5)
    assert "the client disconnected after 7 bytes of the body" in server.stderr
    assert "Traceback" not in server.stderr


def test_only_authorised_json_is_scored(guarded, rows):
    with serving(guarded) as client:
        assert client.post("/predict", json=rows[0]).status_code == 401
        wrong = {"Authorization": "Bearer not-the-key"}
        assert client.post("/predict", json=rows[0], headers=wrong).status_code == 401
        text = {**AUTHORISED, "Content-Type": "text/plain"}
        assert client.post("/predict", content=json.dumps(rows[0]), headers=text).status_code == 415
        public = client.get("/model").json()["champion"]
        lineage = client.get("/model", headers=AUTHORISED).json()["champion"]["lineage"]
    assert "lineage" not in public
    assert lineage["version"] == public["version"] == "1"


def test_the_log_holds_short_private_lines_and_rotates(guarded, rows, tmp_path):
    log = tmp_path / "predictions.jsonl"
    padded = json.dumps(rows[0]).replace(",", "," + " " * MIB, 1)
    json_body = {**AUTHORISED, "Content-Type": "application/json"}
    with serving(guarded) as client:
        answer = client.post("/predict", content=padded, headers=json_body)
        assert answer.status_code == 200
        (line,) = log.read_text().splitlines()
        assert len(line) < 10 * 1024
        assert json.loads(line)["inputs"] == [rows[0]]
        assert stat.S_IMODE(log.stat().st_mode) == 0o600
        for number in range(500):
            client.post("/predict", json=rows[number % len(rows)], headers=AUTHORISED)
            if log.with_name(f"{log.name}.1").exists():
                break
    rotated = log.with_name(f"{log.name}.1")
    assert rotated.exists(), "the log never rotated"
    assert rotated.stat().st_size <= 16 * 1024
    assert stat.S_IMODE(rotated.stat().st_mode) == 0o600
