"""The drift check through the CLI, against the profile a real `dvc repro` saves."""

import json
import re

import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.cli.monitoring import DRIFT_EXIT_STATUS
from {{ cookiecutter.package_name }}.core.config import load_params
from {{ cookiecutter.package_name }}.core.data import read_table
from {{ cookiecutter.package_name }}.core.description import Numeric
from {{ cookiecutter.package_name }}.monitoring.drift.batch import shift_features
from {{ cookiecutter.package_name }}.project.schema import DATA
from {{ cookiecutter.package_name }}.serving.prediction_log import PredictionLog

from tests.integration.project_copy import cli
from tests.synthetic import rows_of

FEATURES = len(DATA.features)
ROWS_PER_REQUEST = 10


@pytest.fixture(scope="module")
def profiled(project, run):
    """The project after the stages the drift check needs: validate, prepare, profile."""
    result = run("dvc", "repro", "profile")
    assert "Running stage 'profile'" in result.stdout
    (project / "batches").mkdir(exist_ok=True)
    return project


@pytest.fixture(scope="module")
def train(profiled) -> pd.DataFrame:
    """The training split: the reference itself, so only what a test changes can drift."""
    return read_table(profiled / load_params(profiled / "params.yaml").paths.train_data)


@pytest.fixture(scope="module")
def shifted(train) -> list[str]:
    """Up to two numeric features that vary in the training split, to shift."""
    names = [
        feature.name
        for feature in DATA.features
        if isinstance(feature, Numeric) and train[feature.name].nunique() > 1
    ][:2]
    if not names:
        pytest.skip("schema.py declares no numeric feature that varies: nothing to shift")
    return names


def outputs(project) -> tuple[dict, str]:
    """The JSON result and the HTML report of the last drift check."""
    return (
        json.loads((project / "reports/drift.json").read_text()),
        (project / "reports/drift.html").read_text(),
    )


def plotted(page: str) -> list[str]:
    return re.findall(r'<figure id="([^"]+)"><img [^>]*src="data:image/png;base64,', page)


def test_rows_like_the_training_data_are_not_flagged(profiled, run, train):
    source = "data/processed/train.csv"
    cli(run, "make-batch", "--input", source, "--output", "batches/same.csv")
    result = cli(run, "drift", "batches/same.csv", check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"no drift: 0 of {FEATURES} features drifted")
    decision, page = outputs(profiled)
    assert (decision["drift"], decision["drifted_features"]) == (False, [])
    assert decision["batch_rows"] == len(train)
    assert 'class="verdict steady"' in page
    assert plotted(page) == []


def test_a_shifted_batch_is_flagged_on_the_shifted_features(profiled, run, shifted):
    cli(
        run, "make-batch", "--input", "data/processed/train.csv", "--shift", "1",
        "--features", *shifted, "--output", "batches/shifted.csv",
    )  # fmt: skip
    result = cli(run, "drift", "batches/shifted.csv", check=False)
    assert result.returncode == DRIFT_EXIT_STATUS == 3, result.stderr
    assert f"drift in {len(shifted)} of {FEATURES} features ({', '.join(shifted)})" in result.stdout
    decision, page = outputs(profiled)
    assert (decision["drift"], decision["drifted_features"]) == (True, shifted)
    assert 'class="verdict drift"' in page
    assert plotted(page) == shifted


def test_the_services_prediction_log_is_checked_like_a_csv_batch(profiled, run, train, shifted):
    rows = rows_of(shift_features(train, shifted, 1.0))
    log = PredictionLog(profiled / "batches/predictions.jsonl")
    for start in range(0, len(rows), ROWS_PER_REQUEST):
        log.write(
            request_id=f"request-{start}",
            request_key=None,
            model_version="1",
            role="champion",
            mode="served",
            latency_ms=1.0,
            inputs_json=json.dumps(rows[start : start + ROWS_PER_REQUEST]).encode(),
            outputs_json="[]",
        )
    log.close()
    result = cli(run, "drift", "batches/predictions.jsonl", check=False)
    assert result.returncode == DRIFT_EXIT_STATUS, result.stderr
    decision, _ = outputs(profiled)
    assert (decision["batch_rows"], decision["drifted_features"]) == (len(train), shifted)


def blanked(train: pd.DataFrame, name: str) -> pd.DataFrame:
    """The training split with most of one feature's cells emptied."""
    frame = train.copy()
    frame.loc[frame.index[: len(frame) * 4 // 5], name] = None
    return frame


def test_a_feature_mostly_missing_is_drift(profiled, run, train):
    nullable = [feature.name for feature in DATA.features if feature.nullable]
    if not nullable:
        pytest.skip("schema.py declares no feature that may be empty")
    blanked(train, nullable[0]).to_csv(profiled / "batches/blanked.csv", index=False)
    result = cli(run, "drift", "batches/blanked.csv", check=False)
    assert result.returncode == DRIFT_EXIT_STATUS, result.stderr
    decision, page = outputs(profiled)
    assert decision["drifted_features"] == nullable[:1]
    assert plotted(page) == nullable[:1]


def test_blanks_in_a_feature_that_may_not_be_empty_are_an_error(profiled, run, train):
    required = [feature.name for feature in DATA.features if not feature.nullable]
    if not required:
        pytest.skip("every feature in schema.py may be empty")
    blanked(train, required[0]).to_csv(profiled / "batches/blanked.csv", index=False)
    result = cli(run, "drift", "batches/blanked.csv", check=False)
    assert result.returncode == 1
    assert f"column '{required[0]}' failed not_nullable (empty cells)" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_broken_batch_is_an_error_not_a_verdict(profiled, run):
    header = ",".join(DATA.feature_names)
    values = ",".join(["not a value"] * FEATURES)
    (profiled / "batches/broken.csv").write_text(f"{header}\n{values}\n")
    result = cli(run, "drift", "batches/broken.csv", check=False)
    assert result.returncode == 1
    assert result.stderr.startswith("error: batches/broken.csv: the data does not match")
    assert "Traceback" not in result.stderr
    assert not (profiled / "reports/drift.json").exists()
