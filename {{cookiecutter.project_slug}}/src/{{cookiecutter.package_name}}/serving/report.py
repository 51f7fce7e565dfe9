"""Compare the model versions in a prediction log: counts, latency and agreement."""

import json
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from {{ cookiecutter.package_name }}.errors import ProjectError

REQUIRED_KEYS = {"request_id", "model_version", "role", "mode", "latency_ms", "outputs"}


@dataclass(frozen=True)
class VersionSummary:
    model_version: str
    role: str
    mode: str
    requests: int
    rows: int
    latency_p50_ms: float
    latency_p99_ms: float
    positive_rate: float


@dataclass(frozen=True)
class Agreement:
    """Requests that one version answered and another scored in shadow."""

    served_version: str
    shadow_version: str
    requests: int
    rows: int
    agreement_rate: float
    mean_probability_difference: float


@dataclass(frozen=True)
class RolloutReport:
    log: str
    lines: int
    skipped_lines: int
    versions: list[VersionSummary]
    agreements: list[Agreement]

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2) + "\n"

    def to_markdown(self) -> str:
        lines = [
            f"### Rollout report: {self.log}",
            "",
            f"{self.lines} predictions"
            + (f"; {self.skipped_lines} unreadable lines skipped" if self.skipped_lines else ""),
            "",
            "| version | role | mode | requests | rows | p50 ms | p99 ms | positive rate |",
            "|---|---|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {v.model_version} | {v.role} | {v.mode} | {v.requests} | {v.rows} "
            f"| {v.latency_p50_ms:.3f} | {v.latency_p99_ms:.3f} | {v.positive_rate:.3f} |"
            for v in self.versions
        ]
        lines.append("")
        if not self.agreements:
            lines.append("No request was scored by two versions (shadow mode scores each twice).")
        for pair in self.agreements:
            lines.append(
                f"Version {pair.served_version} (served) and {pair.shadow_version} (shadow) "
                f"agree on {pair.agreement_rate * 100:.1f}% of {pair.rows} rows in {pair.requests} "
                f"requests; mean probability difference {pair.mean_probability_difference:.4f}."
            )
        return "\n".join(lines) + "\n"


def read_log(path: Path) -> tuple[list[dict], int]:
    """The log's records, and how many lines could not be read (a line being written, say)."""
    if not path.exists():
        raise ProjectError(
            f"{path}: no prediction log here; serve some predictions first (`make serve`), "
            "or point --log at the log (SERVING_PREDICTION_LOG)"
        )
    records, skipped = [], 0
    with path.open() as stream:
        for line in stream:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                skipped += 1
                continue
            if isinstance(record, dict) and record.keys() >= REQUIRED_KEYS:
                records.append(record)
            else:
                skipped += 1
    return records, skipped


def build_report(path: Path) -> RolloutReport:
    records, skipped = read_log(path)
    groups: dict[tuple[str, str, str], list[dict]] = defaultdict(list)
    by_request: dict[str, dict[str, dict]] = defaultdict(dict)
    for record in records:
        groups[record["model_version"], record["role"], record["mode"]].append(record)
        by_request[record["request_id"]][record["mode"]] = record
    versions = [summarize(key, group) for key, group in sorted(groups.items())]
    return RolloutReport(str(path), len(records), skipped, versions, agreements(by_request))


def summarize(key: tuple[str, str, str], records: list[dict]) -> VersionSummary:
    latencies = np.array([record["latency_ms"] for record in records], dtype=float)
    predictions = [output["prediction"] for record in records for output in record["outputs"]]
    return VersionSummary(
        *key,
        requests=len(records),
        rows=len(predictions),
        latency_p50_ms=float(np.percentile(latencies, 50)),
        latency_p99_ms=float(np.percentile(latencies, 99)),
        positive_rate=float(np.mean(predictions)) if predictions else 0.0,
    )


def agreements(by_request: dict[str, dict[str, dict]]) -> list[Agreement]:
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
        same = [ours["prediction"] == theirs["prediction"] for ours, theirs in outputs]
        gaps = [abs(ours["probability"] - theirs["probability"]) for ours, theirs in outputs]
        found.append(
            Agreement(
                served_version,
                shadow_version,
                requests=len(matched),
                rows=len(outputs),
                agreement_rate=float(np.mean(same)),
                mean_probability_difference=float(np.mean(gaps)),
            )
        )
    return found
