"""Compare the model versions in a prediction log: counts, latency, what each predicted, and how
far a shadow's predictions are from the served ones.

What a version predicted, by task: binary the positive rate, multiclass the share of each
label, regression the mean prediction. How two versions compare: for classification the share
of rows where they predict the same label (and, binary, the mean absolute difference of the
probabilities), for regression the mean absolute difference of the values.
"""

import json
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from {{ cookiecutter.package_name }}.core.errors import ProjectError
from {{ cookiecutter.package_name }}.core.tasks import PREDICTION, PROBABILITY, Task
from {{ cookiecutter.package_name }}.serving.prediction_log import log_files

REQUIRED_KEYS = {"request_id", "model_version", "role", "mode", "latency_ms", "outputs"}
# The measures of how close two versions' predictions are.
AGREEMENT = "agreement_rate"
PROBABILITY_GAP = "mean_probability_difference"
VALUE_GAP = "mean_absolute_difference"


@dataclass(frozen=True)
class VersionSummary:
    model_version: str
    role: str
    mode: str
    requests: int
    rows: int
    latency_p50_ms: float
    latency_p99_ms: float
    # What the version predicted, by the task's measure (see above).
    predicted: dict[str, float]


@dataclass(frozen=True)
class Agreement:
    """Requests that one version answered and another scored in shadow."""

    served_version: str
    shadow_version: str
    requests: int
    rows: int
    # How close the shadow's predictions are to the served ones, by the task's measures.
    measures: dict[str, float]

    def to_sentence(self) -> str:
        rows, measures = f"{self.rows} rows in {self.requests} requests", self.measures
        if AGREEMENT in measures:
            found = f"agree on {measures[AGREEMENT] * 100:.1f}% of {rows}"
            if PROBABILITY_GAP in measures:
                found += f"; mean probability difference {measures[PROBABILITY_GAP]:.4f}"
        else:
            found = f"differ by {measures[VALUE_GAP]:.4f} on average over {rows}"
        return f"Version {self.served_version} (served) and {self.shadow_version} (shadow) {found}."


@dataclass(frozen=True)
class RolloutReport:
    log: str
    task: str
    lines: int
    skipped_lines: int
    versions: list[VersionSummary]
    agreements: list[Agreement]

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2) + "\n"

    def to_markdown(self) -> str:
        predicted = list(self.versions[0].predicted) if self.versions else []
        columns = ["version", "role", "mode", "requests", "rows", "p50 ms", "p99 ms", *predicted]
        lines = [
            f"### Rollout report: {self.log}",
            "",
            f"{self.lines} predictions of a {self.task} model"
            + (
                f"; {self.skipped_lines} lines skipped (unreadable, or not this task's outputs)"
                if self.skipped_lines
                else ""
            ),
            "",
            "| " + " | ".join(columns) + " |",
            "|" + "---|" * len(columns),
        ]
        lines += [
            f"| {v.model_version} | {v.role} | {v.mode} | {v.requests} | {v.rows} "
            f"| {v.latency_p50_ms:.3f} | {v.latency_p99_ms:.3f} | "
            + " | ".join(f"{v.predicted[name]:.3f}" for name in predicted)
            + " |"
            for v in self.versions
        ]
        lines.append("")
        if not self.agreements:
            lines.append("No request was scored by two versions (shadow mode scores each twice).")
        lines += [pair.to_sentence() for pair in self.agreements]
        return "\n".join(lines) + "\n"


def read_log(path: Path, task: Task) -> tuple[list[dict], int]:
    """The log's records of this task's outputs, its rotated files (`<log>.1`, ...) included,
    and how many lines could not be read (a line being written, say, or one from a model of
    another task)."""
    files = log_files(path)
    if not files:
        raise ProjectError(
            f"{path}: no prediction log here; serve some predictions first (`make serve`), "
            "or point --log at the log (SERVING_PREDICTION_LOG)"
        )
    contract = task.output_columns().keys()
    records, skipped = [], 0
    for file in files:
        with file.open() as stream:
            for line in stream:
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    skipped += 1
                    continue
                if _readable(record, contract):
                    records.append(record)
                else:
                    skipped += 1
    return records, skipped


def _readable(record, contract) -> bool:
    return (
        isinstance(record, dict)
        and record.keys() >= REQUIRED_KEYS
        and isinstance(record["outputs"], list)
        and all(
            isinstance(output, dict) and output.keys() >= contract for output in record["outputs"]
        )
    )


def build_report(path: Path, task: Task) -> RolloutReport:
    records, skipped = read_log(path, task)
    groups: dict[tuple[str, str, str], list[dict]] = defaultdict(list)
    by_request: dict[str, dict[str, dict]] = defaultdict(dict)
    for record in records:
        groups[record["model_version"], record["role"], record["mode"]].append(record)
        by_request[record["request_id"]][record["mode"]] = record
    versions = [summarize(task, key, group) for key, group in sorted(groups.items())]
    return RolloutReport(
        str(path), task.kind, len(records), skipped, versions, agreements(task, by_request)
    )


def summarize(task: Task, key: tuple[str, str, str], records: list[dict]) -> VersionSummary:
    latencies = np.array([record["latency_ms"] for record in records], dtype=float)
    outputs = [output for record in records for output in record["outputs"]]
    return VersionSummary(
        *key,
        requests=len(records),
        rows=len(outputs),
        latency_p50_ms=float(np.percentile(latencies, 50)),
        latency_p99_ms=float(np.percentile(latencies, 99)),
        predicted=prediction_summary(task, [output[PREDICTION] for output in outputs]),
    )


def prediction_summary(task: Task, predictions: list) -> dict[str, float]:
    """The positive rate (binary), the share of each label (multiclass) or the mean value."""
    if not predictions:
        return {}
    if not task.classes:
        return {"mean_prediction": float(np.mean(predictions))}
    shares = {label: predictions.count(label) / len(predictions) for label in task.classes}
    if task.kind == "binary":
        # The positive label is class 1 (description.Target.classes).
        return {"positive_rate": shares[task.classes[1]]}
    return {f"share_{label}": share for label, share in shares.items()}


def agreements(task: Task, by_request: dict[str, dict[str, dict]]) -> list[Agreement]:
    pairs: dict[tuple[str, str], list[tuple[dict, dict]]] = defaultdict(list)
    for modes in by_request.values():
        if "served" in modes and "shadow" in modes:
            served, shadow = modes["served"], modes["shadow"]
            pairs[served["model_version"], shadow["model_version"]].append((served, shadow))
    found = []
    for (served_version, shadow_version), matched in sorted(pairs.items()):
        outputs = [
            (ours, theirs)
            for served, shadow in matched
            for ours, theirs in zip(served["outputs"], shadow["outputs"], strict=True)
        ]
        found.append(
            Agreement(
                served_version,
                shadow_version,
                requests=len(matched),
                rows=len(outputs),
                measures=closeness(task, outputs),
            )
        )
    return found


def closeness(task: Task, outputs: list[tuple[dict, dict]]) -> dict[str, float]:
    """How close two versions' outputs for the same rows are (see the module's docstring)."""

    def mean_gap(field: str) -> float:
        return float(np.mean([abs(ours[field] - theirs[field]) for ours, theirs in outputs]))

    if not task.classes:
        return {VALUE_GAP: mean_gap(PREDICTION)}
    same = [ours[PREDICTION] == theirs[PREDICTION] for ours, theirs in outputs]
    measures = {AGREEMENT: float(np.mean(same))}
    if task.kind == "binary":
        measures[PROBABILITY_GAP] = mean_gap(PROBABILITY)
    return measures
