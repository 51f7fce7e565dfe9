"""A/B decisions, for every task: a better challenger is promoted, a worse one kept, too few
labels ask for more; shadow scores are compared with the answers they shadow; and two arms of
the same model rarely promote one (the false alarm rate)."""

import json
import math
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from {{ cookiecutter.package_name }}.core.config import Params, load_params
from {{ cookiecutter.package_name }}.core.errors import ProjectError
from {{ cookiecutter.package_name }}.core.tasks import TASKS, Task, task_for
from {{ cookiecutter.package_name }}.monitoring.ab import compare, decide
from {{ cookiecutter.package_name }}.monitoring.labels import LabelStore
from {{ cookiecutter.package_name }}.monitoring.resampling import Rows

from tests.unit.descriptions import every_kind
from tests.unit.monitoring.conftest import NOW, label, label_value, log_line, write_log

PARAMS = load_params()
MIN_LABELS = 100
# How well each model of a test separates the truth: the larger, the better (see scored()).
WEAK, STRONG = 0.5, 2.0
# Each task's primary metric, and one where lower is better.
METRICS = [("binary", "roc_auc"), ("binary", "log_loss"), ("multiclass", "f1_macro"),
           ("regression", "r2"), ("regression", "rmse")]  # fmt: skip


def params_for(task: Task, tmp_path: Path, metric: str | None = None, **ab) -> Params:
    """The project's params, judging `metric` (the task's default primary one), with these A/B
    settings and a label store in `tmp_path`."""
    gate = PARAMS.gate.model_copy(
        update={"primary_metric": metric or task.default_primary, "max_secondary_drop": {}}
    )
    settings = PARAMS.ab.model_copy(update={"min_labels_per_arm": MIN_LABELS} | ab)
    paths = PARAMS.paths.model_copy(update={"labels": tmp_path / "labels.jsonl"})
    return PARAMS.model_copy(update={"gate": gate, "ab": settings, "paths": paths})


def truths(task: Task, rng: np.random.Generator, rows: int) -> np.ndarray:
    """Actual classes (0..k-1), or values, of `rows` rows."""
    if not task.classes:
        return rng.normal(50, 10, rows)
    return rng.integers(0, len(task.classes), rows)


def scored(task: Task, actual: np.ndarray, skill: float, rng: np.random.Generator) -> np.ndarray:
    """Scores of a model with this skill: classification, probabilities leaning towards the
    actual class by `skill` (in logits, against noise of 1); regression, the actual value with
    an error of standard deviation 10 / skill."""
    if not task.classes:
        return actual + rng.normal(0, 10 / skill, len(actual))
    classes = len(task.classes)
    logits = skill * np.eye(classes)[actual] + rng.normal(size=(len(actual), classes))
    probabilities = np.exp(logits)
    return probabilities / probabilities.sum(axis=1, keepdims=True)


def rows_of(task: Task, actual: np.ndarray, scores: np.ndarray) -> Rows:
    return Rows(actual, scores, task.predicted(scores, 0.5))


def serve(
    task: Task,
    params: Params,
    tmp_path: Path,
    arms: dict[str, float],
    rows: int,
    *,
    shadow: bool = False,
    labelled: int | None = None,
    seed: int = 0,
) -> Path:
    """Log `rows` single-row requests per arm (role: skill), version 1 the champion and 2 the
    challenger, each on requests of its own (canary) or, in shadow, the challenger scoring the
    champion's; label the first `labelled` rows of each (all by default)."""
    rng = np.random.default_rng(seed)
    lines, labels = [], []
    versions = {"champion": "1", "challenger": "2"}
    actual = truths(task, rng, rows)
    for role, skill in arms.items():
        if not shadow:
            actual = truths(task, rng, rows)
        scores = scored(task, actual, skill, rng)
        mode = "shadow" if shadow and role == "challenger" else "served"
        for row in range(rows):
            request = f"{row}" if shadow else f"{role}-{row}"
            lines.append(
                log_line(task, scores[row : row + 1], request, version=versions[role], role=role,
                         mode=mode)
            )  # fmt: skip
            if (labelled is None or row < labelled) and (mode == "served"):
                labels.append(label(request, label_value(task, actual[row])))
    LabelStore(params.paths.labels).append(labels)
    return write_log(tmp_path / "predictions.jsonl", lines)


@pytest.mark.parametrize(("kind", "metric"), METRICS)
def test_a_better_challenger_with_enough_labels_is_promoted(kind, metric, tmp_path):
    task = task_for(kind, every_kind(kind))
    params = params_for(task, tmp_path, metric)
    log = serve(task, params, tmp_path, {"champion": WEAK, "challenger": STRONG}, rows=400)
    result = decide(params, task, log, NOW + timedelta(days=1))
    written = json.loads(result.to_json())
    assert written["decision"] == "promote", written["reason"]
    assert written["design"] == "canary"
    assert written["primary_metric"] == metric
    assert written["greater_is_better"] is task.metrics[metric].greater_is_better
    arms = written["arms"]
    assert (arms["champion"]["model_version"], arms["challenger"]["model_version"]) == ("1", "2")
    assert arms["champion"]["labelled"] == arms["challenger"]["labelled"] == 400
    improvement = written["improvement"]
    assert 0 < improvement["low"] < improvement["estimate"] < improvement["high"]
    champion, challenger = (arms[role]["value"] for role in ("champion", "challenger"))
    assert improvement["estimate"] == pytest.approx(
        task.metrics[metric].improvement(challenger, champion)
    )
    assert written["needed_per_arm"] is None
    assert written["shadow"] is None
    assert set(written) >= {
        "primary_metric", "greater_is_better", "method", "confidence", "arms", "improvement",
        "decision", "needed_per_arm", "reason", "shadow",
    }  # fmt: skip


@pytest.mark.parametrize(("kind", "metric"), METRICS)
def test_a_worse_challenger_is_kept(kind, metric, tmp_path):
    task = task_for(kind, every_kind(kind))
    params = params_for(task, tmp_path, metric)
    log = serve(task, params, tmp_path, {"champion": STRONG, "challenger": WEAK}, rows=400)
    result = decide(params, task, log, NOW + timedelta(days=1))
    assert result.comparison.decision == "keep"
    assert result.comparison.improvement.high < 0
    assert result.comparison.reason.startswith("the challenger is worse")


@pytest.mark.parametrize("kind", TASKS)
def test_too_few_labels_need_more_data_and_say_how_many(kind, tmp_path):
    task = task_for(kind, every_kind(kind))
    params = params_for(task, tmp_path)
    arms = {"champion": WEAK, "challenger": STRONG}
    log = serve(task, params, tmp_path, arms, rows=400, labelled=30)
    comparison = decide(params, task, log, NOW + timedelta(days=1)).comparison
    assert comparison.decision == "need more data"
    assert comparison.needed_per_arm >= MIN_LABELS
    assert [arm.labelled for arm in comparison.arms.values()] == [30, 30]
    assert comparison.reason.startswith(
        f"the champion's arm has 30 labelled rows, fewer than ab.min_labels_per_arm ({MIN_LABELS})"
    )


@pytest.mark.parametrize("kind", TASKS)
def test_an_interval_that_holds_0_and_the_effect_asks_for_the_rows_that_would_decide(
    kind, tmp_path
):
    task = task_for(kind, every_kind(kind))
    params = params_for(task, tmp_path, min_effect=0.05)
    log = serve(task, params, tmp_path, {"champion": WEAK, "challenger": WEAK}, rows=MIN_LABELS)
    comparison = decide(params, task, log, NOW + timedelta(days=1)).comparison
    improvement = comparison.improvement
    estimate, low, high = improvement.estimate, improvement.low, improvement.high
    assert comparison.decision == "need more data", comparison.reason
    assert low <= 0 <= 0.05 <= high
    # The interval's half-width shrinks as 1/sqrt(n) until it clears 0 or falls below the effect.
    target = max(estimate, 0.05 - estimate)
    expected = math.ceil(MIN_LABELS * ((high - low) / 2 / target) ** 2)
    assert comparison.needed_per_arm == max(expected, MIN_LABELS + 1)
    assert comparison.reason.endswith(
        f"about {comparison.needed_per_arm} labelled rows in the smaller arm (the champion's, now "
        f"{MIN_LABELS}) would tell, the other arm growing with it"
    )


@pytest.mark.parametrize("kind", TASKS)
def test_a_shadow_is_compared_with_the_answers_it_shadows(kind, tmp_path):
    task = task_for(kind, every_kind(kind))
    params = params_for(task, tmp_path)
    arms = {"champion": WEAK, "challenger": STRONG}
    log = serve(task, params, tmp_path, arms, rows=300, shadow=True)
    result = decide(params, task, log, NOW + timedelta(days=1))
    shadow = result.shadow
    assert (shadow.requests, shadow.rows) == (300, 300)
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    served = [line["outputs"][0]["prediction"] for line in lines if line["mode"] == "served"]
    shadowed = [line["outputs"][0]["prediction"] for line in lines if line["mode"] == "shadow"]
    if task.classes:
        same = np.mean([ours == theirs for ours, theirs in zip(served, shadowed, strict=True)])
        assert shadow.agreement["agreement_rate"] == pytest.approx(same)
        assert "agree on" in result.summary()
    else:
        gap = np.mean(np.abs(np.subtract(served, shadowed)))
        assert shadow.agreement["mean_absolute_difference"] == pytest.approx(gap)
        assert shadow.agreement["relative_difference"] == pytest.approx(gap / np.std(served))
        assert "of the spread of the champion's predictions" in result.summary()
    # No challenger answered a request: the decision comes from the labelled pairs.
    assert result.design == "shadow"
    assert result.comparison == shadow.comparison
    assert shadow.comparison.decision == "promote", shadow.comparison.reason
    assert [arm.labelled for arm in shadow.comparison.arms.values()] == [300, 300]
    assert "paired" in shadow.comparison.method
    written = json.loads(result.to_json())
    assert written["shadow"]["decision"] == "promote"
    assert written["shadow"]["challenger_version"] == "2"


def test_a_shadow_without_labels_reports_its_agreement_and_needs_labels(tmp_path):
    task = task_for("binary", every_kind("binary"))
    params = params_for(task, tmp_path)
    arms = {"champion": WEAK, "challenger": STRONG}
    log = serve(task, params, tmp_path, arms, rows=50, shadow=True, labelled=0)
    result = decide(params, task, log, NOW + timedelta(days=1))
    assert result.shadow.agreement["agreement_rate"] > 0
    assert result.comparison.decision == "need more data"
    assert result.comparison.needed_per_arm == MIN_LABELS
    assert result.comparison.improvement.estimate is None
    assert "### A/B decision: need more data" in result.to_markdown()


def test_a_log_without_a_challenger_cannot_decide(tmp_path):
    task = task_for("binary", every_kind("binary"))
    params = params_for(task, tmp_path)
    log = serve(task, params, tmp_path, {"champion": WEAK}, rows=10)
    with pytest.raises(ProjectError, match=r"no prediction of a challenger in the last 7 days"):
        decide(params, task, log, NOW + timedelta(days=1))


def test_the_report_states_the_decision_its_numbers_and_the_rules(tmp_path):
    task = task_for("binary", every_kind("binary"))
    params = params_for(task, tmp_path)
    log = serve(task, params, tmp_path, {"champion": WEAK, "challenger": STRONG}, rows=400)
    result = decide(params, task, log, NOW + timedelta(days=1))
    low, high = result.comparison.improvement.low, result.comparison.improvement.high
    summary = result.summary()
    assert summary.startswith(
        "A/B decision: promote. Challenger version 2 against champion version 1 on roc_auc "
        "(canary): "
    )
    assert f"95% interval {low:+.4f} to {high:+.4f}" in summary
    markdown = result.to_markdown()
    assert "| challenger | 2 | 400 |" in markdown
    assert "*promote* once the interval lies above 0" in markdown


@pytest.mark.parametrize("kind", TASKS)
@pytest.mark.parametrize("paired", [False, True], ids=["canary", "shadow"])
def test_two_arms_of_the_same_model_seldom_promote_one(kind, paired):
    """An A/A test: the same model on both arms, 100 times; a promotion is a false alarm. The
    interval's lower tail holds 2.5% of the improvements, so about 2.5% are expected."""
    task = task_for(kind, every_kind(kind))
    settings = PARAMS.ab.model_copy(update={"min_labels_per_arm": 200, "resamples": 1000})
    metric = task.default_primary
    decisions = []
    for seed in range(100):
        rng = np.random.default_rng(seed)
        actual = truths(task, rng, 200)
        champion = rows_of(task, actual, scored(task, actual, WEAK, rng))
        if not paired:
            actual = truths(task, rng, 200)
        challenger = rows_of(task, actual, scored(task, actual, WEAK, rng))
        arms = {"champion": ("1", champion), "challenger": ("2", challenger)}
        each = settings.model_copy(update={"seed": seed})
        decisions.append(compare(task, metric, each, arms, paired=paired).decision)
    false_alarms = decisions.count("promote") / len(decisions)
    print(f"{kind} {'paired' if paired else 'independent'}: false alarm rate {false_alarms:.2f}")
    assert false_alarms <= 0.1
