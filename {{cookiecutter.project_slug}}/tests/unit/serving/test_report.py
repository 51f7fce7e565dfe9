import json

import pytest

from {{ cookiecutter.package_name }}.core.description import DataDescription, Numeric
from {{ cookiecutter.package_name }}.core.errors import ProjectError
from {{ cookiecutter.package_name }}.core.tasks import TASKS, Task, task_for
from {{ cookiecutter.package_name }}.serving.prediction_log import PredictionLog
from {{ cookiecutter.package_name }}.serving.report import build_report

from tests.unit.serving.conftest import TARGETS, TASK, scores_for


def task_of(kind: str) -> Task:
    return task_for(kind, DataDescription([Numeric("x")], TARGETS[kind]))


def log_prediction(log, task, request_id, version, mode, picks, latency_ms=1.0):
    """Log a request whose rows `task` predicts as class (or value) `picks`."""
    outputs = task.outputs(scores_for(task, picks), decision_threshold=0.5)
    log.write(
        request_id=request_id,
        request_key=None,
        model_version=version,
        role="champion" if version == "1" else "challenger",
        mode=mode,
        latency_ms=latency_ms,
        inputs_json=json.dumps([{"x": 1.0}] * len(picks)).encode(),
        outputs_json=outputs.to_json(orient="records"),
    )


def shadowed_log(path, task):
    """Version 1 served [1, 0] and [0]; version 2 scored [1, 1] and [0] in shadow."""
    log = PredictionLog(path)
    log_prediction(log, task, "a", "1", "served", [1, 0])
    log_prediction(log, task, "a", "2", "shadow", [1, 1], latency_ms=3.0)
    log_prediction(log, task, "b", "1", "served", [0])
    log_prediction(log, task, "b", "2", "shadow", [0], latency_ms=3.0)
    log.close()


# Per task: what version 1 predicted, and how close version 2's predictions were.
EXPECTED = {
    "binary": (
        {"positive_rate": 1 / 3},
        {"agreement_rate": 2 / 3, "mean_probability_difference": 0.6 / 3},
        "agree on 66.7% of 3 rows in 2 requests; mean probability difference 0.2000",
    ),
    "multiclass": (
        {"share_a": 2 / 3, "share_b": 1 / 3, "share_c": 0.0},
        {"agreement_rate": 2 / 3},
        "agree on 66.7% of 3 rows in 2 requests.",
    ),
    "regression": (
        {"mean_prediction": 1 / 3},
        {"mean_absolute_difference": 1 / 3},
        "differ by 0.3333 on average over 3 rows in 2 requests.",
    ),
}


@pytest.mark.parametrize("kind", list(TASKS))
def test_the_report_compares_versions_and_their_agreement(tmp_path, kind):
    task = task_of(kind)
    path = tmp_path / "predictions.jsonl"
    shadowed_log(path, task)
    with path.open("a") as stream:
        stream.write('{"half a line')

    report = build_report(path, task)
    assert (report.task, report.lines, report.skipped_lines) == (kind, 4, 1)
    champion, challenger = report.versions
    assert (champion.model_version, champion.requests, champion.rows) == ("1", 2, 3)
    predicted, measures, sentence = EXPECTED[kind]
    assert champion.predicted == pytest.approx(predicted)
    assert (challenger.mode, challenger.latency_p50_ms) == ("shadow", 3.0)
    (agreement,) = report.agreements
    assert (agreement.requests, agreement.rows) == (2, 3)
    assert agreement.measures == pytest.approx(measures)
    markdown = report.to_markdown()
    assert f"Version 1 (served) and 2 (shadow) {sentence}" in markdown
    assert "| " + " | ".join(predicted) + " |" in markdown
    assert json.loads(report.to_json())["versions"][0]["predicted"] == pytest.approx(predicted)


def test_the_project_task_is_reported(tmp_path):
    path = tmp_path / "predictions.jsonl"
    shadowed_log(path, TASK)
    report = build_report(path, TASK)
    assert (report.lines, report.skipped_lines, len(report.agreements)) == (4, 0, 1)


def test_the_rotated_files_of_a_log_are_read_too(tmp_path):
    path = tmp_path / "predictions.jsonl"
    # One line to a file: each write moves the ones before to <log>.1, .2, ...
    log = PredictionLog(path, max_bytes=1, backups=5)
    for number, version in enumerate(["1", "1", "2"]):
        log_prediction(log, TASK, str(number), version, "served", [1])
    log.close()
    assert path.with_name(f"{path.name}.2").exists()
    report = build_report(path, TASK)
    assert [(v.model_version, v.requests) for v in report.versions] == [("1", 2), ("2", 1)]


def test_lines_without_the_task_outputs_are_skipped(tmp_path):
    path = tmp_path / "predictions.jsonl"
    shadowed_log(path, task_of("regression"))
    report = build_report(path, task_of("multiclass"))
    assert (report.lines, report.skipped_lines) == (0, 4)
    assert "4 lines skipped (unreadable, or not this task's outputs)" in report.to_markdown()


def test_a_canary_has_no_pairs_to_compare(tmp_path):
    path = tmp_path / "predictions.jsonl"
    log = PredictionLog(path)
    log_prediction(log, TASK, "a", "1", "served", [1])
    log_prediction(log, TASK, "b", "2", "served", [1])
    log.close()
    report = build_report(path, TASK)
    assert [version.model_version for version in report.versions] == ["1", "2"]
    assert report.agreements == []
    assert "No request was scored by two versions" in report.to_markdown()


def test_a_missing_log_says_where_to_look(tmp_path):
    with pytest.raises(ProjectError, match="no prediction log here; serve some predictions"):
        build_report(tmp_path / "absent.jsonl", TASK)
