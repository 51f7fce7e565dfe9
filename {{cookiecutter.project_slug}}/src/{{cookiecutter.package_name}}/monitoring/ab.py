"""A/B decisions: whether the challenger's labelled predictions show it better than the
champion's on the gate's primary metric, by more than luck would.

The two designs the service runs (SERVING_ROLLOUT):
- canary, a sticky A/B: each request is answered by one of the two (mode `served`); the arms
  are different requests, so each arm is resampled on its own;
- shadow: the champion answers every request and the challenger scores the same rows in the
  background (mode `shadow`); a row scored by both is a pair, resampled as one (a paired
  bootstrap: the rows' own difficulty cancels out, so the interval is narrower when the two
  models find the same rows hard, as two models of the same data mostly do).

The method: the challenger's improvement over the champion on the labelled rows of the
live-quality window (positive is better, whichever way the metric points), and a percentile
bootstrap interval of it at ab.confidence. The rules:
- need more data: an arm has fewer than ab.min_labels_per_arm labelled rows, or the interval
  holds 0 and reaches ab.min_effect: the challenger may be better by an effect worth having, or
  not better at all;
- promote: the interval lies above 0: the challenger is better, at that confidence;
- keep: otherwise: the challenger is worse, or cannot be better by ab.min_effect.

The interval's half-width h shrinks as 1/sqrt(n). Centred where the estimate e is, it decides
once h falls to max(e, min_effect - e) (it then clears 0, or falls below min_effect); so the
smaller arm needs about n * (h / max(e, min_effect - e))^2 labelled rows, n its rows now (the
other arm growing with it as the traffic splits).
"""

import json
import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

import numpy as np

from {{ cookiecutter.package_name }}.core.config import AbParams, Params
from {{ cookiecutter.package_name }}.core.errors import ProjectError
from {{ cookiecutter.package_name }}.core.tasks import PREDICTION, Task
from {{ cookiecutter.package_name }}.monitoring.labels import Match
from {{ cookiecutter.package_name }}.monitoring.quality import labelled_rows, labelled_window
from {{ cookiecutter.package_name }}.monitoring.resampling import Rows, resampled
from {{ cookiecutter.package_name }}.registry.aliases import CHALLENGER, CHAMPION
from {{ cookiecutter.package_name }}.serving.report import AGREEMENT, VALUE_GAP, closeness

Decision = Literal["promote", "keep", "need more data"]
Design = Literal["canary", "shadow"]
SERVED, SHADOW = "served", "shadow"
# Regression's agreement: the mean absolute difference over the spread of the champion's
# predictions (their standard deviation): 0.1 is a tenth of how much its predictions vary.
RELATIVE_GAP = "relative_difference"


@dataclass(frozen=True)
class Arm:
    model_version: str
    labelled: int
    # The primary metric on the arm's labelled rows; None when undefined (fewer than two rows,
    # or roc_auc on labels of one class).
    value: float | None


@dataclass(frozen=True)
class Improvement:
    """The challenger's improvement over the champion, and its interval."""

    estimate: float | None
    low: float | None
    high: float | None


@dataclass(frozen=True)
class Comparison:
    method: str
    arms: dict[str, Arm]
    improvement: Improvement
    decision: Decision
    # When more data is needed: the labelled rows the smaller arm would likely decide with (the
    # other arm grows with it, as the traffic splits; in shadow the arms are the same rows).
    needed_per_arm: int | None
    reason: str


@dataclass(frozen=True)
class Shadow:
    """The challenger scoring in shadow the requests the champion answered."""

    champion_version: str
    challenger_version: str
    requests: int
    rows: int
    # How close its predictions are to the champion's, with or without labels (report.py's
    # measures, and RELATIVE_GAP for regression).
    agreement: dict[str, float | None]
    # On the pairs that have a label.
    comparison: Comparison

    def to_sentence(self) -> str:
        rows = f"{self.rows} rows of {self.requests} requests"
        agreement = self.agreement
        if VALUE_GAP in agreement:
            relative = agreement[RELATIVE_GAP]
            found = f"differ by {agreement[VALUE_GAP]:.4f} on average over {rows}" + (
                f" ({relative:.2f} of the spread of the champion's predictions)"
                if relative is not None
                else ""
            )
        else:
            found = f"agree on {agreement[AGREEMENT] * 100:.1f}% of {rows}"
        return (
            f"In shadow, challenger version {self.challenger_version} and champion version "
            f"{self.champion_version} {found}."
        )


@dataclass(frozen=True)
class ABResult:
    log: str
    window_start: str
    window_end: str
    primary_metric: str
    greater_is_better: bool
    confidence: float
    min_effect: float
    min_labels_per_arm: int
    # The comparison the decision comes from: the canary's arms when the challenger answered
    # requests in the window, else the shadow's pairs.
    design: Design
    comparison: Comparison
    shadow: Shadow | None

    def to_json(self) -> str:
        result = {
            key: value for key, value in asdict(self).items() if key not in ("comparison", "shadow")
        }
        shadow = None
        if self.shadow is not None:
            shadow = asdict(self.shadow)
            shadow |= shadow.pop("comparison")
        return json.dumps(result | asdict(self.comparison) | {"shadow": shadow}, indent=2) + "\n"

    def summary(self) -> str:
        """One paragraph: the decision and the numbers behind it."""
        comparison, metric = self.comparison, self.primary_metric
        champion, challenger = comparison.arms[CHAMPION], comparison.arms[CHALLENGER]
        text = (
            f"A/B decision: {comparison.decision}. Challenger version {challenger.model_version} "
            f"against champion version {champion.model_version} on {metric} "
            f"({self.design}): {_shown(challenger.value)} against {_shown(champion.value)} on "
            f"{challenger.labelled} and {champion.labelled} labelled rows; "
            f"{_interval_words(comparison.improvement, self.confidence)}. "
            f"{_capital(comparison.reason)}."
        )
        if self.shadow is not None:
            text += f" {self.shadow.to_sentence()}"
        return text

    def to_markdown(self) -> str:
        comparison, metric = self.comparison, self.primary_metric
        direction = "greater" if self.greater_is_better else "lower"
        lines = [
            f"### A/B decision: {comparison.decision}",
            "",
            f"Predictions from {self.window_start} to {self.window_end} in `{self.log}`; "
            f"{metric}, where {direction} is better, on the labelled rows.",
            "",
            *_comparison_table(comparison, metric, self.confidence),
            "",
            f"**{_capital(comparison.decision)}**: {comparison.reason}.",
            "",
            f"Method: {comparison.method}.",
            "",
            "Rules: *need more data* while an arm has fewer than "
            f"{self.min_labels_per_arm} labelled rows, or while the interval holds 0 and reaches "
            f"{self.min_effect} (the smallest improvement worth having); *promote* once the "
            "interval lies above 0; *keep* otherwise (the challenger is worse, or cannot be "
            f"better by {self.min_effect}). Rows needed: the interval's half-width h shrinks as "
            "1/sqrt(n), so about n x (h / max(e, min_effect - e))^2 rows in the smaller arm, n "
            "its rows now and e the estimate.",
        ]
        if self.shadow is not None:
            lines += ["", "#### Shadow", "", self.shadow.to_sentence()]
            if self.design == "canary":
                shadow = self.shadow.comparison
                lines += [
                    "",
                    *_comparison_table(shadow, metric, self.confidence),
                    "",
                    f"On the labelled pairs: *{shadow.decision}*, {shadow.reason}.",
                ]
        return "\n".join(lines) + "\n"


def _comparison_table(comparison: Comparison, metric: str, confidence: float) -> list[str]:
    lines = [f"| arm | version | labelled | {metric} |", "|---|---|---|---|"]
    for role, arm in comparison.arms.items():
        lines.append(f"| {role} | {arm.model_version} | {arm.labelled} | {_shown(arm.value)} |")
    return [*lines, "", f"{_capital(_interval_words(comparison.improvement, confidence))}."]


def _interval_words(improvement: Improvement, confidence: float) -> str:
    if improvement.estimate is None:
        return "no improvement can be measured yet"
    text = f"improvement {improvement.estimate:+.4f}"
    if improvement.low is not None and improvement.high is not None:
        text += f", {confidence:.0%} interval {improvement.low:+.4f} to {improvement.high:+.4f}"
    return text


def _shown(value: float | None) -> str:
    return "undefined" if value is None else f"{value:.4f}"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def decide(params: Params, task: Task, log: Path, now: datetime) -> ABResult:
    """The A/B decision on the live-quality window of the log that ends `now`."""
    window = labelled_window(params, task, log, now)
    metric = params.gate.primary_metric
    settings = params.ab
    days = params.live_quality.window_days
    champion = _latest_version(window.records, CHAMPION, (SERVED,))
    challenger = _latest_version(window.records, CHALLENGER, (SERVED, SHADOW))
    if champion is None or challenger is None:
        missing = "the champion" if champion is None else "a challenger"
        raise ProjectError(
            f"{log}: no prediction of {missing} in the last {days:g} days "
            "(live_quality.window_days): an A/B decision needs a challenger served beside the "
            "champion (SERVING_CHALLENGER with SERVING_ROLLOUT=canary or shadow)"
        )
    versions = {CHAMPION: champion, CHALLENGER: challenger}
    served = {
        role: [m for m in window.matches if _of(m.record, role, version, SERVED)]
        for role, version in versions.items()
    }
    shadow = _shadow(task, metric, settings, window.records, window.matches, champion, challenger)
    if any(_of(r, CHALLENGER, challenger, SERVED) for r in window.records) or shadow is None:
        design: Design = "canary"
        arms = {
            role: (versions[role], labelled_rows(task, found) if found else None)
            for role, found in served.items()
        }
        comparison = compare(task, metric, settings, arms, paired=False)
    else:
        design, comparison = "shadow", shadow.comparison
    return ABResult(
        log=str(log),
        window_start=window.start.isoformat(timespec="seconds"),
        window_end=window.end.isoformat(timespec="seconds"),
        primary_metric=metric,
        greater_is_better=task.metrics[metric].greater_is_better,
        confidence=settings.confidence,
        min_effect=settings.min_effect,
        min_labels_per_arm=settings.min_labels_per_arm,
        design=design,
        comparison=comparison,
        shadow=shadow,
    )


def _of(record: dict, role: str, version: str, mode: str) -> bool:
    return (record["role"], record["model_version"], record["mode"]) == (role, version, mode)


def _latest_version(records: list[dict], role: str, modes: Iterable[str]) -> str | None:
    """The version that last played `role`: older ones, replaced in the window, are left out."""
    found = [record for record in records if record["role"] == role and record["mode"] in modes]
    if not found:
        return None
    return max(found, key=lambda record: datetime.fromisoformat(record["time"]))["model_version"]


def _shadow(
    task: Task,
    metric: str,
    settings: AbParams,
    records: list[dict],
    matches: list[Match],
    champion: str,
    challenger: str,
) -> Shadow | None:
    """The challenger's shadow scores against the champion's answers to the same requests."""
    answered = {r["request_id"]: r for r in records if _of(r, CHAMPION, champion, SERVED)}
    pairs = [
        (answered[r["request_id"]], r)
        for r in records
        if _of(r, CHALLENGER, challenger, SHADOW) and r["request_id"] in answered
    ]
    if not pairs:
        return None
    outputs = [
        (ours, theirs)
        for served, shadowed in pairs
        for ours, theirs in zip(served["outputs"], shadowed["outputs"], strict=True)
    ]
    agreement: dict[str, float | None] = dict(closeness(task, outputs))
    if VALUE_GAP in agreement:
        spread = float(np.std([ours[PREDICTION] for ours, _ in outputs]))
        agreement[RELATIVE_GAP] = agreement[VALUE_GAP] / spread if spread > 0 else None
    # The labelled rows both scored, in the same order on each side.
    sides: dict[str, dict[tuple[str, int], Match]] = {CHAMPION: {}, CHALLENGER: {}}
    for match in matches:
        record = match.record
        if _of(record, CHAMPION, champion, SERVED):
            sides[CHAMPION][record["request_id"], match.label.row] = match
        elif _of(record, CHALLENGER, challenger, SHADOW):
            sides[CHALLENGER][record["request_id"], match.label.row] = match
    both = sorted(sides[CHAMPION].keys() & sides[CHALLENGER].keys())
    arms = {
        role: (version, labelled_rows(task, [sides[role][key] for key in both]) if both else None)
        for role, version in ((CHAMPION, champion), (CHALLENGER, challenger))
    }
    comparison = compare(task, metric, settings, arms, paired=True)
    return Shadow(champion, challenger, len(pairs), len(outputs), agreement, comparison)


def compare(
    task: Task,
    metric: str,
    settings: AbParams,
    arms: dict[str, tuple[str, Rows | None]],
    *,
    paired: bool,
) -> Comparison:
    """The challenger against the champion on their labelled rows (version, rows or None for
    none, by role); `paired`: row i of one arm is row i of the other, and they are resampled
    together."""
    measure = task.metrics[metric]
    rows = {role: found for role, (_, found) in arms.items()}
    values = {role: _value(task, metric, found) for role, found in rows.items()}
    measured = {
        role: Arm(version, len(rows[role]) if rows[role] is not None else 0, values[role])
        for role, (version, _) in arms.items()
    }
    estimate = low = high = None
    champion, challenger = values[CHAMPION], values[CHALLENGER]
    if champion is not None and challenger is not None:
        estimate = measure.improvement(challenger, champion)
        low, high = _interval(task, metric, settings, rows[CHAMPION], rows[CHALLENGER], paired)
    improvement = Improvement(estimate, low, high)
    decision, needed, reason = _rule(measured, improvement, settings)
    resampling = (
        "resampling the labelled rows both scored, as pairs (paired)"
        if paired
        else "resampling each arm's labelled rows on its own"
    )
    method = (
        f"the challenger's improvement in {metric} over the champion (positive is better) and "
        f"its {settings.confidence:.0%} percentile bootstrap interval, {settings.resamples} "
        f"resamples (seed {settings.seed}) {resampling}"
    )
    return Comparison(method, measured, improvement, decision, needed, reason)


def _value(task: Task, metric: str, rows: Rows | None) -> float | None:
    if rows is None or len(rows) < 2:
        return None
    value = task.metrics[metric].compute(rows.actual, rows.scores, rows.predicted)
    return float(value) if np.isfinite(value) else None


def _interval(
    task: Task,
    metric: str,
    settings: AbParams,
    champion: Rows,
    challenger: Rows,
    paired: bool,
) -> tuple[float | None, float | None]:
    # One seed for both arms resamples them in pairs; two seeds, each on its own.
    ours, theirs = np.random.SeedSequence(settings.seed).spawn(2)
    resamples = settings.resamples
    improvements = task.metrics[metric].improvement(
        resampled(task, metric, challenger, resamples, ours if paired else theirs),
        resampled(task, metric, champion, resamples, ours),
    )
    # A resample where the metric is undefined (roc_auc on one class) says nothing either way.
    defined = improvements[np.isfinite(improvements)]
    if not len(defined):
        return None, None
    tail = (1 - settings.confidence) / 2 * 100
    low, high = np.percentile(defined, [tail, 100 - tail])
    return float(low), float(high)


def _rule(
    arms: dict[str, Arm], improvement: Improvement, settings: AbParams
) -> tuple[Decision, int | None, str]:
    """The decision, the labelled rows per arm that would likely decide, and why."""
    smallest = min(arms.values(), key=lambda arm: arm.labelled)
    role = next(role for role, arm in arms.items() if arm is smallest)
    few = smallest.labelled < settings.min_labels_per_arm
    too_few = (
        f"the {role}'s arm has {smallest.labelled} labelled rows, fewer than "
        f"ab.min_labels_per_arm ({settings.min_labels_per_arm}): too few to tell a better "
        "model from luck"
    )
    estimate, low, high = improvement.estimate, improvement.low, improvement.high
    if estimate is None or low is None or high is None:
        if few:
            return "need more data", settings.min_labels_per_arm, too_few
        return (
            "need more data",
            None,
            "the metric is undefined on the labelled rows (roc_auc on labels of one class, "
            "say): more labels, of every class, are needed",
        )
    interval = f"the interval {low:+.4f} to {high:+.4f}"
    if low > 0:
        decision: Decision = "promote"
        reason = f"the challenger is better: {interval} lies above 0"
    elif high >= settings.min_effect:
        decision = "need more data"
        reason = (
            f"{interval} holds 0 and reaches ab.min_effect ({settings.min_effect}): the "
            "challenger may be better by an effect worth having, or not better at all"
        )
    elif high < 0:
        decision = "keep"
        reason = f"the challenger is worse: {interval} lies below 0"
    else:
        decision = "keep"
        reason = (
            f"the challenger cannot be better by ab.min_effect ({settings.min_effect}): "
            f"{interval} stays below it"
        )
    needed = None
    if decision == "need more data":
        half_width = (high - low) / 2
        target = max(estimate, settings.min_effect - estimate)
        needed = max(
            math.ceil(smallest.labelled * (half_width / target) ** 2), smallest.labelled + 1
        )
        reason += (
            f"; about {needed} labelled rows in the smaller arm (the {role}'s, now "
            f"{smallest.labelled}) would tell, the other arm growing with it"
        )
    if few:
        needed = max(needed or 0, settings.min_labels_per_arm)
        return "need more data", needed, f"{too_few}; so far, {reason}"
    return decision, needed, reason
