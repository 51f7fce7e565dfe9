"""The drift check through the CLI, against the profile a real `dvc repro` saves."""

import json
import re

import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.cli import DRIFT_EXIT_STATUS
from tests.integration.project_copy import cli

SHIFTED = ["mean_radius", "worst_texture"]


@pytest.fixture(scope="module")
def profiled(project, run):
    """The project after the stages the drift check needs: validate, prepare, profile."""
    result = run("dvc", "repro", "profile")
    assert "Running stage 'profile'" in result.stdout
    return project


def outputs(project) -> tuple[dict, str]:
    """The JSON result and the HTML report of the last drift check."""
    return (
        json.loads((project / "reports/drift.json").read_text()),
        (project / "reports/drift.html").read_text(),
    )


def plotted(page: str) -> list[str]:
    return re.findall(r'<figure id="([^"]+)"><img [^>]*src="data:image/png;base64,', page)


def test_held_out_rows_are_not_flagged(profiled, run):
    cli(run, "make-batch", "--input", "data/processed/test.csv", "--output", "batches/same.csv")
    result = cli(run, "drift", "batches/same.csv", check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("no drift: 0 of 30 features drifted")
    decision, page = outputs(profiled)
    assert (decision["drift"], decision["drifted_features"]) == (False, [])
    assert decision["batch_rows"] == 114
    assert 'class="verdict steady"' in page
    assert plotted(page) == []


def test_a_shifted_batch_is_flagged_on_the_shifted_features(profiled, run):
    cli(run, "make-batch", "--shift", "0.5", "--features", *SHIFTED, "--output", "batches/s.csv")
    result = cli(run, "drift", "batches/s.csv", check=False)
    assert result.returncode == DRIFT_EXIT_STATUS == 3, result.stderr
    assert "drift in 2 of 30 features (mean_radius, worst_texture)" in result.stdout
    decision, page = outputs(profiled)
    assert (decision["drift"], decision["drifted_features"]) == (True, SHIFTED)
    assert 'class="verdict drift"' in page
    assert plotted(page) == SHIFTED


def test_the_prediction_log_is_checked_like_a_csv_batch(profiled, run):
    batch = pd.read_csv(profiled / "batches/s.csv")
    log = "".join(
        json.dumps({"model_version": "1", "inputs": inputs, "prediction": 0}) + "\n"
        for inputs in batch.to_dict(orient="records")
    )
    (profiled / "batches/predictions.jsonl").write_text(log)
    result = cli(run, "drift", "batches/predictions.jsonl", check=False)
    assert result.returncode == DRIFT_EXIT_STATUS, result.stderr
    assert outputs(profiled)[0]["drifted_features"] == SHIFTED


def test_a_broken_batch_is_an_error_not_a_verdict(profiled, run):
    (profiled / "batches/broken.csv").write_text("mean_radius,mean_texture\n1.0,abc\n")
    result = cli(run, "drift", "batches/broken.csv", check=False)
    assert result.returncode == 1
    assert result.stderr.startswith("error: batches/broken.csv: the data does not match")
    assert "Traceback" not in result.stderr
    assert not (profiled / "reports/drift.json").exists()
