"""The loop closed with labels, simulated end to end: a canary between a champion that learnt
nothing (shuffled labels) and a challenger that learnt the target, thousands of requests, their
true labels posted back to the service (some late, some repeated, some naming no prediction, one
malformed); then the A/B report must promote the challenger, live quality must call for
retraining, and the same model on both arms (an A/A run) must not be promoted."""

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.cli.monitoring import QUALITY_EXIT_STATUS
from {{ cookiecutter.package_name }}.core.config import load_params
from {{ cookiecutter.package_name }}.project.schema import DATA

from tests.integration.http_server import serving
from tests.integration.project_copy import cli, runner, set_param
from tests.integration.training import ROWS, shuffled, train_on
from tests.synthetic import rows_of, synthetic_frame

PARAMS = load_params()
MODEL_NAME = PARAMS.mlflow.model_name
REQUESTS = 2000
# Labels that come more than this after their prediction are late: 7.2 s, so that the labels of
# the first requests, posted once all have been answered, are late, and no other is.
MAX_LABEL_DELAY_HOURS = 0.002
LATE, DUPLICATES, UNKNOWN = 50, 100, 30
FEEDBACK_BATCH = 500


@pytest.fixture(scope="module")
def versions(project, run) -> Path:
    """Champion version 1, trained on shuffled labels, and challenger version 2, trained on the
    same rows' real target."""
    set_param(project, "live_quality", "max_label_delay_hours", MAX_LABEL_DELAY_HOURS)
    rows = synthetic_frame(ROWS, seed=7)
    train_on(project, run, shuffled(rows, seed=1), "Train on shuffled labels")
    cli(run, "register")
    cli(run, "promote", "--version", "1", "--reason", "a champion that learnt nothing")
    train_on(project, run, rows, "Train on the real target")
    assert "version 2 as challenger" in cli(run, "register").stdout
    return project


def label_of(value) -> object:
    return value.item() if hasattr(value, "item") else value


def canary(project: Path, log: Path, challenger: str) -> dict:
    """Serve a canary of `challenger` on half the callers, send REQUESTS one-row requests and
    post their true labels to /feedback; return the outcome counts the service was told."""
    (project / PARAMS.paths.labels).unlink(missing_ok=True)
    serve = runner(
        project,
        {
            "SERVING_ROLLOUT": "canary",
            "SERVING_CHALLENGER": challenger,
            "SERVING_CHALLENGER_WEIGHT": "0.5",
            "SERVING_PREDICTION_LOG": str(log),
        },
    )
    stream = synthetic_frame(REQUESTS, seed=11)
    truth = [label_of(value) for value in stream[DATA.target.name]]
    with serving(serve) as client:
        started = time.monotonic()
        answered = []
        for number, body in enumerate(rows_of(stream)):
            response = client.post("/predict", json=body, headers={"X-Request-Key": f"c{number}"})
            assert response.status_code == 200, response.text
            # When the label became known: as soon as the answer came, for all but the first.
            known = datetime.now(UTC).isoformat()
            answered.append({"key": response.headers["X-Request-Id"], "time": known})
        labels = [{**answer, "label": label} for answer, label in zip(answered, truth, strict=True)]
        # The first requests' labels come now, without a time: past the delay allowed.
        time.sleep(max(0.0, started + MAX_LABEL_DELAY_HOURS * 3600 + 1 - time.monotonic()))
        late = [{"key": label["key"], "label": label["label"]} for label in labels[:LATE]]
        unknown = [{"key": f"nobody-{n}", "label": truth[n]} for n in range(UNKNOWN)]
        given = [*labels[LATE:], *late, *labels[LATE : LATE + DUPLICATES], *unknown]
        for start in range(0, len(given), FEEDBACK_BATCH):
            posted = client.post("/feedback", json=given[start : start + FEEDBACK_BATCH])
            assert posted.status_code == 202, posted.text
        malformed = client.post("/feedback", json=[{**labels[0], "label": "no such label"}])
        assert malformed.status_code == 422
        assert "label" in malformed.text
    return {"joined": REQUESTS - LATE, "late": LATE, "duplicate": DUPLICATES, "unknown": UNKNOWN}


def test_labels_promote_the_better_challenger_and_retrain_the_worse_champion(
    versions, run, tmp_path
):
    log = tmp_path / "canary.jsonl"
    outcomes = canary(versions, log, f"models:/{MODEL_NAME}@challenger")

    cli(run, "ab-report", "--log", str(log))
    report = json.loads((versions / PARAMS.paths.ab_result).read_text())
    arms = {role: arm["model_version"] for role, arm in report["arms"].items()}
    assert arms == {"champion": "1", "challenger": "2"}
    assert report["decision"] == "promote", report
    assert report["improvement"]["low"] > 0

    checked = cli(run, "live-quality", "--log", str(log), "--no-mlflow", check=False)
    assert checked.returncode == QUALITY_EXIT_STATUS, checked.stdout + checked.stderr
    quality = json.loads((versions / PARAMS.paths.live_quality_result).read_text())
    assert {name: quality["label_outcomes"][name] for name in outcomes} == outcomes
    verdicts = {v["model_version"]: v["verdict"] for v in quality["versions"]}
    assert verdicts == {"1": "below the bar", "2": "acceptable"}


def test_the_same_model_on_both_arms_is_not_promoted(versions, run, tmp_path):
    log = tmp_path / "a-a.jsonl"
    canary(versions, log, f"models:/{MODEL_NAME}/1")
    cli(run, "ab-report", "--log", str(log))
    report = json.loads((versions / PARAMS.paths.ab_result).read_text())
    assert {arm["model_version"] for arm in report["arms"].values()} == {"1"}
    assert report["decision"] != "promote", report
