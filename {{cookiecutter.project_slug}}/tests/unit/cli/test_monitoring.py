import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from {{ cookiecutter.package_name }}.cli.main import main
from {{ cookiecutter.package_name }}.cli.monitoring import (
    CANARY_ROLLBACK_EXIT_STATUS,
    CANARY_WAIT_EXIT_STATUS,
    DRIFT_EXIT_STATUS,
    QUALITY_EXIT_STATUS,
)
from {{ cookiecutter.package_name }}.core.config import PARAMS_FILE, load_params
from {{ cookiecutter.package_name }}.core.tasks import project_task
from {{ cookiecutter.package_name }}.monitoring.drift.profile import build_profile, save_profile
from {{ cookiecutter.package_name }}.project.schema import DATA

from tests.synthetic import synthetic_frame
from tests.unit.monitoring.conftest import (
    label_value,
    log_line,
    one_hot,
    truth,
    write_log,
    wrong,
)

FIRST = DATA.feature_names[0]
MIN_LABELS = 40


@pytest.fixture
def drift_workspace(tmp_path, monkeypatch):
    """A directory with the project's params, where one drifted feature is too many, a
    reference profile, and batches to compare with it."""
    params = yaml.safe_load(PARAMS_FILE.read_text())
    params["drift"]["max_drifted_features"] = 0
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    monkeypatch.chdir(tmp_path)
    params = load_params()
    reference = synthetic_frame(500, seed=1)
    profile = build_profile(reference, "train.csv", params.drift.reference_sample_size, seed=0)
    save_profile(profile, params.paths.reference_profile)
    batch = synthetic_frame(300, seed=2)
    batch.to_csv("batch.csv", index=False)
    # One value in every row of the first feature: unlike the training data by far.
    batch.assign(**{FIRST: batch[FIRST].dropna().iloc[0]}).to_csv("shifted.csv", index=False)
    return params.paths


def test_the_makefile_reads_the_exit_statuses_the_cli_sets():
    makefile = (Path(__file__).parents[3] / "Makefile").read_text()
    assert f"\nDRIFT_EXIT_STATUS := {DRIFT_EXIT_STATUS}\n" in makefile
    assert f"\nQUALITY_EXIT_STATUS := {QUALITY_EXIT_STATUS}\n" in makefile


def test_the_makefile_reads_the_canary_exit_statuses_the_cli_sets():
    makefile = (Path(__file__).parents[3] / "Makefile").read_text()
    assert f"\nCANARY_ROLLBACK_EXIT_STATUS := {CANARY_ROLLBACK_EXIT_STATUS}\n" in makefile
    assert f"\nCANARY_WAIT_EXIT_STATUS := {CANARY_WAIT_EXIT_STATUS}\n" in makefile
    # Each tells CI something else: not an error (1), a usage error (2) or another command's.
    statuses = {1, 2, DRIFT_EXIT_STATUS, QUALITY_EXIT_STATUS}
    assert {CANARY_ROLLBACK_EXIT_STATUS, CANARY_WAIT_EXIT_STATUS}.isdisjoint(statuses)
    assert CANARY_ROLLBACK_EXIT_STATUS != CANARY_WAIT_EXIT_STATUS


def test_the_drift_exit_status_tells_ci_whether_to_retrain(drift_workspace, capsys):
    assert main(["drift", "batch.csv"]) == 0
    assert capsys.readouterr().out.startswith(
        f"no drift: 0 of {len(DATA.features)} features drifted"
    )
    assert json.loads(drift_workspace.drift_result.read_text())["drift"] is False

    assert main(["drift", "shifted.csv"]) == DRIFT_EXIT_STATUS == 3
    assert capsys.readouterr().out.startswith(
        f"drift in 1 of {len(DATA.features)} features ({FIRST})"
    )
    assert json.loads(drift_workspace.drift_result.read_text())["drifted_features"] == [FIRST]
    assert f'id="{FIRST}"' in drift_workspace.drift_report.read_text()


def test_a_failed_drift_check_is_an_error_and_leaves_no_verdict(drift_workspace, capsys):
    assert main(["drift", "batch.csv"]) == 0
    assert main(["drift", "absent.csv"]) == 1
    assert capsys.readouterr().err == (
        "error: absent.csv: file not found (is the data checked out? try `dvc pull`)\n"
    )
    assert not drift_workspace.drift_result.exists()
    assert not drift_workspace.drift_report.exists()


@pytest.fixture
def labelled_workspace(tmp_path, monkeypatch):
    """A directory with the project's params (judging on 40 labels, against the task's own
    bar: the project's may have been lowered; deciding A/B tests on 40 labels per arm too), a
    prediction log of a champion that is always wrong, and a labels file giving each of its rows
    the truth."""
    params = yaml.safe_load(PARAMS_FILE.read_text())
    task = project_task(params["task"]["kind"])
    params["live_quality"]["min_labels"] = MIN_LABELS
    params["ab"]["min_labels_per_arm"] = MIN_LABELS
    params["gate"]["primary_metric"] = task.default_primary
    params["gate"]["worst_acceptable"] = task.default_worst_acceptable
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    monkeypatch.chdir(tmp_path)
    picks = truth(task, MIN_LABELS)
    lines = [log_line(task, one_hot(task, [pick]), f"r{row}", time=datetime.now(UTC))
             for row, pick in enumerate(wrong(task, picks))]  # fmt: skip
    write_log(tmp_path / "predictions.jsonl", lines)
    labels = ["key,label", *(f"r{row},{label_value(task, pick)}" for row, pick in enumerate(picks))]
    (tmp_path / "labels.csv").write_text("\n".join([*labels, "unknown-key,"
                                                    f"{label_value(task, 0)}"]) + "\n")  # fmt: skip
    return load_params().paths


def test_labels_are_recorded_and_a_champion_below_the_bar_asks_for_retraining(
    labelled_workspace, capsys
):
    feedback = ["feedback", "--labels", "labels.csv", "--log", "predictions.jsonl"]
    assert main(feedback) == 0
    assert capsys.readouterr().out == (
        f"recorded {MIN_LABELS + 1} labels in {labelled_workspace.labels}: {MIN_LABELS} label a "
        "prediction; 0 came too late to be measured; 0 label a prediction labelled before (the "
        "first label counts); 1 name no prediction in the log\n"
    )
    live_quality = ["live-quality", "--log", "predictions.jsonl", "--no-mlflow"]
    assert main(live_quality) == QUALITY_EXIT_STATUS == 4
    out = capsys.readouterr().out
    assert out.startswith("Champion version 1: ")
    assert "below the bar" in out
    assert json.loads(labelled_workspace.live_quality_result.read_text())["retrain"] is True
    assert "| 1 | champion | served |" in labelled_workspace.live_quality_report.read_text()


def test_a_malformed_labels_file_records_nothing(labelled_workspace, capsys):
    Path("labels.csv").write_text("key,label\nr1,\n")
    assert main(["feedback", "--labels", "labels.csv", "--log", "predictions.jsonl"]) == 1
    assert capsys.readouterr().err.startswith(
        "error: labels.csv: 1 of 1 labels are malformed, so none was recorded; fix them and "
        "send the file again: line 2: no label"
    )
    assert not labelled_workspace.labels.exists()


def test_the_ab_report_promotes_a_challenger_right_where_the_champion_is_wrong(
    labelled_workspace, capsys
):
    task = project_task(load_params().task.kind)
    picks = truth(task, MIN_LABELS)
    challenger = [log_line(task, one_hot(task, [pick]), f"c{row}", version="2", role="challenger",
                           time=datetime.now(UTC)) for row, pick in enumerate(picks)]  # fmt: skip
    with Path("predictions.jsonl").open("a") as log:
        log.writelines(json.dumps(line) + "\n" for line in challenger)
    with Path("labels.csv").open("a") as labels:
        labels.writelines(f"c{row},{label_value(task, pick)}\n" for row, pick in enumerate(picks))
    assert main(["feedback", "--labels", "labels.csv", "--log", "predictions.jsonl"]) == 0
    capsys.readouterr()
    assert main(["ab-report", "--log", "predictions.jsonl"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("A/B decision: promote. Challenger version 2 against champion version 1")
    assert out.endswith(
        f"result: {labelled_workspace.ab_result}  report: {labelled_workspace.ab_report}\n"
    )
    result = json.loads(labelled_workspace.ab_result.read_text())
    assert result["decision"] == "promote"
    arms = result["arms"]
    assert arms["challenger"]["labelled"] == arms["champion"]["labelled"] == MIN_LABELS
    assert "### A/B decision: promote" in labelled_workspace.ab_report.read_text()


def test_the_ab_report_of_a_log_without_a_challenger_is_an_error(labelled_workspace, capsys):
    assert main(["feedback", "--labels", "labels.csv", "--log", "predictions.jsonl"]) == 0
    capsys.readouterr()
    assert main(["ab-report", "--log", "predictions.jsonl"]) == 1
    assert capsys.readouterr().err == (
        "error: predictions.jsonl: no prediction of a challenger in the last 7 days "
        "(live_quality.window_days): an A/B decision needs a challenger served beside the "
        "champion (SERVING_CHALLENGER with SERVING_ROLLOUT=canary or shadow)\n"
    )
    assert not labelled_workspace.ab_result.exists()
