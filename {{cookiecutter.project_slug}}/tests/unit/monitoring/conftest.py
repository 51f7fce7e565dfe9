"""Prediction log lines as the service writes them, for a task's model and rows of our own."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from {{ cookiecutter.package_name }}.core.tasks import Task
from {{ cookiecutter.package_name }}.monitoring.labels import GivenLabel, stored_key

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def log_line(
    task: Task,
    scores: np.ndarray,
    request_id: str,
    *,
    version: str = "1",
    role: str = "champion",
    mode: str = "served",
    key: str | None = None,
    time: datetime = NOW,
) -> dict:
    """A prediction log line for one request of len(scores) rows."""
    outputs = task.outputs(scores, decision_threshold=0.5)
    return {
        "time": time.isoformat(timespec="milliseconds"),
        "request_id": request_id,
        "request_key": None if key is None else stored_key(key),
        "model_version": version,
        "role": role,
        "mode": mode,
        "latency_ms": 1.0,
        "inputs": [],
        "outputs": json.loads(outputs.to_json(orient="records")),
    }


def write_log(path: Path, lines: list[dict]) -> Path:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def label(key: str, value, row: int = 0, after: timedelta = timedelta(hours=1)) -> GivenLabel:
    """A label of `key`'s row, given `after` NOW."""
    return GivenLabel(stored_key(key), row, value, NOW + after, "test")


def one_hot(task: Task, picks: list[int]) -> np.ndarray:
    """Scores from which `task` predicts class picks[i] (classification), or the value."""
    if not task.classes:
        return np.array(picks, dtype=float)
    return np.eye(len(task.classes))[picks] * 0.8 + 0.2 / len(task.classes)


def truth(task: Task, rows: int) -> list[int]:
    """Classes (or values) that take turns, so every class is among the labels."""
    return [row % max(len(task.classes), 2) for row in range(rows)]


def wrong(task: Task, picks: list[int]) -> list[int]:
    if not task.classes:
        return [pick + 10 * (1 if row % 2 else -1) for row, pick in enumerate(picks)]
    return [(pick + 1) % len(task.classes) for pick in picks]


def label_value(task: Task, pick: int):
    return task.classes[pick] if task.classes else float(pick)
