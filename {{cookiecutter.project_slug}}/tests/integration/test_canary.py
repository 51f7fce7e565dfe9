"""The canary analysis against the real server in canary mode: a sound canary is promoted, a
failing one rolled back, with the exit statuses `make canary` acts on."""

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sklearn.linear_model import LogisticRegression, Ridge

from {{ cookiecutter.package_name }}.cli.monitoring import CANARY_ROLLBACK_EXIT_STATUS
from {{ cookiecutter.package_name }}.core.config import load_params
from {{ cookiecutter.package_name }}.core.data import features_and_target
from {{ cookiecutter.package_name }}.core.tasks import project_task
from {{ cookiecutter.package_name }}.project.model import build_model
from {{ cookiecutter.package_name }}.serving.export import (
    LINEAGE_FILE,
    MODEL_DIR,
    write_serving_file,
)

from tests.integration.http_server import free_port, serving
from tests.integration.project_copy import runner, set_param
from tests.saved_models import save_model
from tests.synthetic import rows_of, synthetic_frame

PARAMS = load_params()
TASK = project_task(PARAMS.task.kind)
WINDOW_SECONDS = "4"
MIN_REQUESTS = 20


@pytest.fixture(scope="module")
def frame():
    return synthetic_frame(200, seed=3)


@pytest.fixture(scope="module")
def canary_project(project):
    set_param(project, "canary", "min_requests", MIN_REQUESTS)
    return project


def write_export(directory: Path, version: str, model, features, example: bool = True) -> Path:
    save_model(model, features, directory / MODEL_DIR, example=example)
    lineage = {"model_name": PARAMS.mlflow.model_name, "version": version, "run_id": None}
    (directory / LINEAGE_FILE).write_text(json.dumps(lineage))
    write_serving_file(directory, TASK, PARAMS.evaluate.decision_threshold)
    return directory


@pytest.fixture(scope="module")
def exports(frame, tmp_path_factory) -> dict[str, Path]:
    """Version 1 (stable) and 2 (a sound canary) are the project's model; version 3 was fitted
    on the first feature alone, so it takes the project's inputs and fails on every request."""
    root = tmp_path_factory.mktemp("exports")
    features, target = features_and_target(frame)
    written = {}
    for version, regularisation in (("1", 1.0), ("2", 0.5)):
        params = PARAMS.train.model_copy(update={"C": regularisation})
        model = build_model(params, PARAMS.task.kind, seed=0).fit(features, target)
        written[version] = write_export(root / version, version, model, features)
    first = features.iloc[:, :1].astype(float).fillna(0).to_numpy()
    narrow = Ridge() if TASK.kind == "regression" else LogisticRegression()
    narrow.fit(first, target)
    # Without an input example nothing scores it before a request does.
    written["3"] = write_export(root / "3", "3", narrow, features, example=False)
    return written


def canary_service(project: Path, stable: Path, canary: Path, log: Path):
    """The server with `canary` beside `stable`, answering half the callers."""
    return runner(
        project,
        {
            "SERVING_MODEL": str(stable),
            "SERVING_ROLLOUT": "canary",
            "SERVING_CHALLENGER": str(canary),
            "SERVING_CHALLENGER_WEIGHT": "0.5",
            "SERVING_PREDICTION_LOG": str(log),
        },
    )


def analyse_under_traffic(project: Path, stable: Path, canary: Path, rows: list[dict], log: Path):
    """Run `canary-analysis` on the server serving `canary` beside `stable`, and send requests
    until it has decided; return its exit status and output."""
    with serving(canary_service(project, stable, canary, log)) as client:
        analysis = runner(project)(
            sys.executable, "-m", "{{ cookiecutter.package_name }}", "canary-analysis",
            "--url", str(client.base_url), "--window-seconds", WINDOW_SECONDS,
            background=True,
        )  # fmt: skip
        # Requests before the first read of /metrics are not counted: the analysis takes the
        # increase over its window.
        sent = send_until(client, rows, analysis.poll)
        out, err = analysis.communicate()
    assert sent > 4 * MIN_REQUESTS, f"only {sent} requests in the window"
    return analysis.returncode, out, err


def send_until(client: httpx.Client, rows: list[dict], done) -> int:
    """Send the rows round and round, each request from another caller, until done() is not
    None; return how many were sent."""
    sent = 0
    while done() is None:
        row = rows[sent % len(rows)]
        client.post("/predict", json=row, headers={"X-Request-Key": f"caller-{sent}"})
        sent += 1
    return sent


def test_a_sound_canary_is_promoted(canary_project, exports, frame, tmp_path):
    status, out, err = analyse_under_traffic(
        canary_project, exports["1"], exports["2"], rows_of(frame), tmp_path / "log.jsonl"
    )
    assert status == 0, out + err
    assert "canary: promote: a clean window of" in out
    result = json.loads((canary_project / PARAMS.paths.canary_result).read_text())
    assert result["decision"] == "promote"
    assert (result["canary"]["version"], result["stable"]["version"]) == ("2", "1")
    assert result["canary"]["requests"] >= MIN_REQUESTS
    assert result["canary"]["server_errors"] == 0
    assert "# Canary analysis: promote" in (canary_project / PARAMS.paths.canary_report).read_text()


def test_a_failing_canary_is_rolled_back_and_the_stable_serves_on(
    canary_project, exports, frame, tmp_path
):
    rows = rows_of(frame)
    status, out, err = analyse_under_traffic(
        canary_project, exports["1"], exports["3"], rows, tmp_path / "log.jsonl"
    )
    assert status == CANARY_ROLLBACK_EXIT_STATUS == 5, out + err
    assert "canary: roll back: 2 breaches of the SLO" in out
    assert "breach: error ratio 100.00% is over max_error_ratio 1.00%" in out
    result = json.loads((canary_project / PARAMS.paths.canary_result).read_text())
    assert result["canary"]["version"] == "3"
    assert result["canary"]["error_ratio"] == 1.0
    assert result["stable"]["server_errors"] == 0

    # The roll-back: the same release without the challenger; every caller gets the stable.
    stable_only = runner(
        canary_project,
        {"SERVING_MODEL": str(exports["1"]), "SERVING_PREDICTION_LOG": str(tmp_path / "after")},
    )
    with serving(stable_only) as client:
        assert client.get("/ready").json() == {"status": "ready", "champion": "1"}
        answers = [
            client.post("/predict", json=row, headers={"X-Request-Key": f"caller-{n}"})
            for n, row in enumerate(rows[:40])
        ]
    assert {(answer.status_code, answer.json()["model_version"]) for answer in answers} == {
        (200, "1")
    }


PROMETHEUS = shutil.which("prometheus")
SCRAPE_SECONDS = 1


@contextmanager
def prometheus(target: str, directory: Path) -> Iterator[str]:
    """Prometheus scraping `target` (host:port) every second; its URL once it is ready."""
    config = directory / "prometheus.yml"
    scrape = {"job_name": "serving", "static_configs": [{"targets": [target]}]}
    # JSON is YAML, and needs no braces written out.
    every = {"scrape_interval": f"{SCRAPE_SECONDS}s"}
    config.write_text(json.dumps({"global": every, "scrape_configs": [scrape]}))
    port = free_port()
    process = subprocess.Popen(
        [PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={directory / 'data'}",
         f"--web.listen-address=127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, f"prometheus exited: {process.stderr.read()}"
            try:
                if httpx.get(f"{url}/-/ready").status_code == 200:
                    break
            except httpx.TransportError:
                pass  # not listening yet
            assert time.monotonic() < deadline, "prometheus was not ready in a minute"
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.mark.skipif(
    PROMETHEUS is None,
    reason="Prometheus is not installed (on Debian or Ubuntu: apt-get install prometheus)",
)
def test_prometheus_tells_the_failing_canary_over_the_window_that_just_ended(
    canary_project, exports, frame, tmp_path
):
    rows = rows_of(frame)
    window = 8
    service = canary_service(canary_project, exports["1"], exports["3"], tmp_path / "log.jsonl")
    with serving(service) as client, prometheus(client.base_url.netloc.decode(), tmp_path) as url:
        # Traffic for a whole window, scraped along the way.
        until = time.monotonic() + window + 2 * SCRAPE_SECONDS
        send_until(client, rows, lambda: True if time.monotonic() > until else None)
        analysis = runner(canary_project)(
            sys.executable, "-m", "{{ cookiecutter.package_name }}", "canary-analysis",
            "--prometheus", url, "--window-seconds", str(window), check=False,
        )  # fmt: skip
    assert analysis.returncode == CANARY_ROLLBACK_EXIT_STATUS, analysis.stdout + analysis.stderr
    assert f"window: {window} s of Prometheus at {url}" in analysis.stdout
    result = json.loads((canary_project / PARAMS.paths.canary_result).read_text())
    assert (result["canary"]["version"], result["stable"]["version"]) == ("3", "1")
    # Prometheus extrapolates each increase() to the window's edges on its own, so the counts
    # and the ratio between them are near, not exact.
    assert result["canary"]["requests"] >= MIN_REQUESTS
    assert result["canary"]["error_ratio"] == pytest.approx(1, abs=0.01)
    assert {breach["measure"] for breach in result["breaches"]} == {
        "error_ratio",
        "error_ratio_increase",
    }
    assert result["stable"]["error_ratio"] == 0
    assert result["stable"]["p95_seconds"] > 0
