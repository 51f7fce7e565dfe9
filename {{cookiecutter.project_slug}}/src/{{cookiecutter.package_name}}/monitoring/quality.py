"""Live quality: the task's metrics for each model version, measured on the labelled predictions
of a recent window of the prediction log, and whether the champion has fallen below the bar.

The bar is the quality gate's (params.yaml gate.primary_metric and gate.worst_acceptable): a
champion measured below it live would not be promoted today, so retraining is due. A version
with fewer labelled rows than live_quality.min_labels is measured but not judged.
"""

import json
from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from {{ cookiecutter.package_name }}.core.config import Params
from {{ cookiecutter.package_name }}.core.tasks import Task
from {{ cookiecutter.package_name }}.monitoring.labels import OUTCOMES, Joiner, LabelStore, Match
from {{ cookiecutter.package_name }}.monitoring.resampling import Rows
from {{ cookiecutter.package_name }}.registry.aliases import CHAMPION
from {{ cookiecutter.package_name }}.serving.report import read_log

# "undefined": enough labels, but the primary metric has no value on them (roc_auc on labels
# of one class, say).
Verdict = Literal["acceptable", "below the bar", "too few labels", "undefined"]


@dataclass(frozen=True)
class VersionQuality:
    model_version: str
    role: str
    mode: str
    # Rows the version scored in the window, and how many of them have a label in time.
    rows: int
    labelled: int
    # Every metric of the task, once two rows are labelled (None where a metric is undefined,
    # roc_auc on rows of one class, say).
    metrics: dict[str, float | None]
    verdict: Verdict


@dataclass(frozen=True)
class LiveQuality:
    log: str
    labels: str
    window_start: str
    window_end: str
    primary_metric: str
    worst_acceptable: float
    min_labels: int
    # How every label given so far fared (labels.py).
    label_outcomes: dict[str, int]
    versions: list[VersionQuality]

    @property
    def retrain(self) -> bool:
        """The champion, answering requests, is measured below the bar."""
        return any(
            v.role == CHAMPION and v.mode == "served" and v.verdict == "below the bar"
            for v in self.versions
        )

    def to_json(self) -> str:
        return json.dumps(asdict(self) | {"retrain": self.retrain}, indent=2) + "\n"

    def summary(self) -> str:
        champion = [v for v in self.versions if v.role == CHAMPION and v.mode == "served"]
        if not champion:
            return f"No prediction of the champion in the window from {self.window_start}."
        lines = []
        for v in champion:
            value = v.metrics.get(self.primary_metric)
            measured = f"{self.primary_metric} " + (
                f"{value:.4f}" if value is not None else "undefined"
            )
            lines.append(
                f"Champion version {v.model_version}: {measured} on {v.labelled} labelled of "
                f"{v.rows} rows; {v.verdict} (worst acceptable {self.worst_acceptable}, at "
                f"least {self.min_labels} labels)."
            )
        return "\n".join(lines)

    def to_markdown(self) -> str:
        metrics = list(self.versions[0].metrics) if self.versions else []
        columns = ["version", "role", "mode", "rows", "labelled", *metrics, "verdict"]
        outcomes = ", ".join(f"{count} {name}" for name, count in self.label_outcomes.items())
        lines = [
            "### Live quality",
            "",
            f"Predictions from {self.window_start} to {self.window_end} in `{self.log}`, "
            f"labels in `{self.labels}`: {outcomes}.",
            "",
            "| " + " | ".join(columns) + " |",
            "|" + "---|" * len(columns),
        ]
        for v in self.versions:
            values = [_shown(v.metrics.get(name)) for name in metrics]
            cells = [v.model_version, v.role, v.mode, str(v.rows), str(v.labelled), *values]
            lines.append("| " + " | ".join([*cells, v.verdict]) + " |")
        lines += ["", self.summary()]
        return "\n".join(lines) + "\n"


def _shown(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


@dataclass(frozen=True)
class LabelledWindow:
    """The predictions of a window of the prediction log, and those of their rows that have a
    label in time."""

    start: datetime
    end: datetime
    records: list[dict]
    # How every label given until the window's end fared (labels.py).
    label_outcomes: dict[str, int]
    matches: list[Match]


def labelled_window(params: Params, task: Task, log: Path, now: datetime) -> LabelledWindow:
    """The last live_quality.window_days days of the log up to `now`, joined to the labels
    given by then."""
    settings = params.live_quality
    start = now - timedelta(days=settings.window_days)
    records, _ = read_log(log, task)
    in_window = [r for r in records if start <= datetime.fromisoformat(r["time"]) <= now]
    # Joined against the whole log, so that a label of an older prediction is not unknown.
    joiner = Joiner(records, timedelta(hours=settings.max_label_delay_hours))
    labels = [label for label in LabelStore(params.paths.labels).read() if label.time <= now]
    counts, matches = joiner.join(labels)
    window_ids = {record["request_id"] for record in in_window}
    matches = [match for match in matches if match.record["request_id"] in window_ids]
    outcomes = {name: counts[name] for name in OUTCOMES}
    return LabelledWindow(start, now, in_window, outcomes, matches)


def labelled_rows(task: Task, matches: list[Match]) -> Rows:
    """The labelled rows as the task's metrics take them."""
    outputs = pd.DataFrame([match.output for match in matches])
    scores, predicted = task.read_outputs(outputs)
    actual = task.data.encode_target(pd.Series([match.label.label for match in matches]))
    return Rows(actual, scores, predicted)


def measure(params: Params, task: Task, log: Path, now: datetime) -> LiveQuality:
    """Live quality over the window that ends `now`."""
    settings = params.live_quality
    window = labelled_window(params, task, log, now)
    scored: dict[tuple[str, str, str], int] = defaultdict(int)
    for record in window.records:
        scored[record["model_version"], record["role"], record["mode"]] += len(record["outputs"])
    labelled: dict[tuple[str, str, str], list[Match]] = defaultdict(list)
    for match in window.matches:
        record = match.record
        labelled[record["model_version"], record["role"], record["mode"]].append(match)

    gate = params.gate
    versions = []
    for group, rows in sorted(scored.items()):
        found = labelled.get(group, [])
        metrics = _metrics(task, found) if len(found) >= 2 else {}
        primary = metrics.get(gate.primary_metric)
        if len(found) < settings.min_labels:
            verdict: Verdict = "too few labels"
        elif primary is None:
            verdict = "undefined"
        elif task.metrics[gate.primary_metric].acceptable(primary, gate.worst_acceptable):
            verdict = "acceptable"
        else:
            verdict = "below the bar"
        versions.append(VersionQuality(*group, rows, len(found), metrics, verdict))
    return LiveQuality(
        log=str(log),
        labels=str(params.paths.labels),
        window_start=window.start.isoformat(timespec="seconds"),
        window_end=window.end.isoformat(timespec="seconds"),
        primary_metric=gate.primary_metric,
        worst_acceptable=gate.worst_acceptable,
        min_labels=settings.min_labels,
        label_outcomes=window.label_outcomes,
        versions=versions,
    )


def _metrics(task: Task, matches: list[Match]) -> dict[str, float | None]:
    rows = labelled_rows(task, matches)
    measured = task.measure(rows.actual, rows.scores, rows.predicted)
    return {name: float(value) if np.isfinite(value) else None for name, value in measured.items()}


def log_to_mlflow(quality: LiveQuality, model_name: str, now: datetime) -> list[str]:
    """Log each measured version's live metrics (`live_<metric>`, and `live_labelled`) to the
    run that trained it, at `now`, so that MLflow charts a version's live quality over time;
    the step is the time in seconds too, for charts drawn by step. Returns a note for each
    version not logged, and why."""
    from mlflow.entities import Metric

    from {{ cookiecutter.package_name }}.core.errors import ProjectError
    from {{ cookiecutter.package_name }}.infra.tracking import connect
    from {{ cookiecutter.package_name }}.registry.versions import resolve

    client = connect()
    timestamp, step = int(now.timestamp() * 1000), int(now.timestamp())
    notes = []
    for v in quality.versions:
        measured = {name: value for name, value in v.metrics.items() if value is not None}
        if not measured:
            continue
        try:
            run_id = resolve(client, model_name, v.model_version).run_id
        except ProjectError as error:
            notes.append(f"version {v.model_version} not logged to MLflow: {error}")
            continue
        values = measured | {"labelled": v.labelled}
        client.log_batch(
            run_id,
            metrics=[
                Metric(f"live_{name}", value, timestamp, step) for name, value in values.items()
            ],
        )
    return notes
