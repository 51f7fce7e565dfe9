"""Live quality: each version measured on its labelled predictions, and judged against the
gate's bar, for every task."""

import json
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.core.config import Params, load_params
from {{ cookiecutter.package_name }}.core.tasks import TASKS, Task, project_task, task_for
from {{ cookiecutter.package_name }}.monitoring.labels import LabelStore
from {{ cookiecutter.package_name }}.monitoring.quality import log_to_mlflow, measure

from tests.unit.descriptions import every_kind
from tests.unit.monitoring.conftest import (
    NOW,
    label,
    label_value,
    log_line,
    one_hot,
    truth,
    write_log,
    wrong,
)

MIN_LABELS = 40
LOG = "predictions.jsonl"
PARAMS = load_params()


def params_for(task: Task, tmp_path: Path, **live_quality) -> Params:
    """The project's params, with the task's own gate, these live-quality settings and a label
    store in `tmp_path`."""
    gate = PARAMS.gate.model_copy(
        update={"primary_metric": task.default_primary,
                "worst_acceptable": task.default_worst_acceptable},
    )  # fmt: skip
    settings = PARAMS.live_quality.model_copy(update={"min_labels": MIN_LABELS} | live_quality)
    paths = PARAMS.paths.model_copy(update={"labels": tmp_path / "labels.jsonl"})
    return PARAMS.model_copy(update={"gate": gate, "live_quality": settings, "paths": paths})


def serve_and_label(
    task: Task, params: Params, tmp_path: Path, versions: dict[str, tuple[str, bool]], rows: int
) -> Path:
    """Log one single-row request per row for each version (role, right or wrong), and label
    every row with its truth in the params' label store."""
    picks = truth(task, rows)
    lines, labels = [], []
    for version, (role, right) in versions.items():
        given = picks if right else wrong(task, picks)
        for row, pick in enumerate(given):
            key = f"{version}-{row}"
            lines.append(log_line(task, one_hot(task, [pick]), key, version=version, role=role))
            labels.append(label(key, label_value(task, picks[row])))
    LabelStore(params.paths.labels).append(labels)
    return write_log(tmp_path / LOG, lines)


@pytest.mark.parametrize("kind", TASKS)
def test_a_champion_that_is_wrong_live_is_below_the_bar_and_retrains(kind, tmp_path):
    task = task_for(kind, every_kind(kind))
    params = params_for(task, tmp_path)
    versions = {"1": ("champion", False), "2": ("challenger", True)}
    log = serve_and_label(task, params, tmp_path, versions, rows=MIN_LABELS)
    quality = measure(params, task, log, NOW + timedelta(days=1))
    verdicts = {v.model_version: (v.rows, v.labelled, v.verdict) for v in quality.versions}
    assert verdicts == {
        "1": (MIN_LABELS, MIN_LABELS, "below the bar"),
        "2": (MIN_LABELS, MIN_LABELS, "acceptable"),
    }
    assert quality.retrain
    assert quality.label_outcomes == {
        "joined": 2 * MIN_LABELS, "late": 0, "duplicate": 0, "unknown": 0,
    }  # fmt: skip


@pytest.mark.parametrize("kind", TASKS)
def test_a_worse_challenger_alone_does_not_retrain(kind, tmp_path):
    task = task_for(kind, every_kind(kind))
    params = params_for(task, tmp_path)
    versions = {"1": ("champion", True), "2": ("challenger", False)}
    log = serve_and_label(task, params, tmp_path, versions, rows=MIN_LABELS)
    quality = measure(params, task, log, NOW + timedelta(days=1))
    assert [v.verdict for v in quality.versions] == ["acceptable", "below the bar"]
    assert not quality.retrain


def test_the_metrics_are_the_tasks_on_the_labelled_rows(tmp_path):
    task = project_task(PARAMS.task.kind)
    params = params_for(task, tmp_path)
    log = serve_and_label(task, params, tmp_path, {"1": ("champion", False)}, rows=MIN_LABELS)
    (version,) = measure(params, task, log, NOW + timedelta(days=1)).versions
    outputs = pd.DataFrame([o for line in map(json.loads, log.read_text().splitlines())
                            for o in line["outputs"]])  # fmt: skip
    actual = task.data.encode_target(
        pd.Series([label_value(task, pick) for pick in truth(task, MIN_LABELS)])
    )
    expected = task.measure(actual, *task.read_outputs(outputs))
    assert version.metrics == pytest.approx(
        {name: value if np.isfinite(value) else None for name, value in expected.items()}
    )


def test_too_few_labels_are_measured_but_not_judged(tmp_path):
    task = task_for("binary", every_kind("binary"))
    params = params_for(task, tmp_path)
    log = serve_and_label(task, params, tmp_path, {"1": ("champion", False)}, rows=MIN_LABELS - 1)
    quality = measure(params, task, log, NOW + timedelta(days=1))
    (version,) = quality.versions
    assert version.verdict == "too few labels"
    assert version.metrics
    assert not quality.retrain


def test_predictions_before_the_window_are_left_out(tmp_path):
    task = task_for("binary", every_kind("binary"))
    params = params_for(task, tmp_path, window_days=1)
    log = serve_and_label(task, params, tmp_path, {"1": ("champion", False)}, rows=MIN_LABELS)
    quality = measure(params, task, log, NOW + timedelta(days=2))
    assert quality.versions == []
    assert not quality.retrain
    assert quality.label_outcomes["joined"] == MIN_LABELS  # joined, but not in the window


def test_the_report_shows_each_version_and_the_champions_verdict(tmp_path):
    task = task_for("binary", every_kind("binary"))
    params = params_for(task, tmp_path)
    versions = {"1": ("champion", False), "2": ("challenger", True)}
    log = serve_and_label(task, params, tmp_path, versions, rows=MIN_LABELS)
    quality = measure(params, task, log, NOW + timedelta(days=1))
    markdown = quality.to_markdown()
    assert "| 1 | champion | served | 40 | 40 |" in markdown
    assert "| 2 | challenger | served | 40 | 40 |" in markdown
    assert "Champion version 1: roc_auc 0.0000 on 40 labelled of 40 rows; below the bar" in markdown
    assert json.loads(quality.to_json())["retrain"] is True


def test_live_quality_is_logged_to_the_run_of_each_registered_version(registry_store, tmp_path):
    params = registry_store.params
    task = project_task(params.task.kind)
    versions = {registry_store.better: ("champion", True), "99": ("challenger", True)}
    log = serve_and_label(task, params, tmp_path, versions, rows=MIN_LABELS)
    quality = measure(params, task, log, NOW + timedelta(days=1))
    notes = log_to_mlflow(quality, registry_store.name, NOW + timedelta(days=1))
    assert len(notes) == 1
    assert notes[0].startswith("version 99 not logged to MLflow: model")
    run_id = registry_store.client.get_model_version(
        registry_store.name, registry_store.better
    ).run_id
    (logged,) = registry_store.client.get_metric_history(
        run_id, f"live_{params.gate.primary_metric}"
    )
    assert logged.step == int((NOW + timedelta(days=1)).timestamp())
    (count,) = registry_store.client.get_metric_history(run_id, "live_labelled")
    assert count.value == MIN_LABELS
