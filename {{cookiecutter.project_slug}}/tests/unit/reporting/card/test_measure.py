"""What the card measures, recomputed here from the model and the test rows, for each task."""

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.inspection import permutation_importance

from {{ cookiecutter.package_name }}.reporting.card.measure import MISSING, bootstrap, group_labels

from tests.unit.reporting.card.conftest import PRIMARY, SEED, Measured, fitted


def in_group(values: pd.Series, label: str) -> np.ndarray:
    """The rows of a group of one value, or of the missing values."""
    found = values.isna() if label == MISSING else values.astype(str).eq(label) & values.notna()
    return found.to_numpy(dtype=bool)


def scored(each: Measured) -> tuple[np.ndarray, np.ndarray]:
    data = each.task.data
    actual = data.encode_target(each.test[data.target.name])
    return actual, each.task.scores(each.model, data.model_frame(each.test))


def test_each_metric_is_the_tasks_on_the_test_split_within_its_interval(each_task):
    task = each_task.task
    actual, scores = scored(each_task)
    expected = task.evaluate(actual, scores, 0.5)
    estimates = each_task.measurements.metrics
    assert [estimate.name for estimate in estimates] == list(task.metrics)
    for estimate in estimates:
        assert estimate.value == pytest.approx(expected[estimate.name]), estimate.name
        assert estimate.low <= estimate.value <= estimate.high, estimate
        assert estimate.greater_is_better is task.metrics[estimate.name].greater_is_better
    # Resamples vary: an interval is more than the value repeated.
    assert any(estimate.low < estimate.high for estimate in estimates)
    assert each_task.measurements.test_rows == len(each_task.test)


def test_an_interval_is_the_percentiles_of_the_metric_over_seeded_resamples(each_task):
    task, settings = each_task.task, each_task.settings
    actual, scores = scored(each_task)
    rng = np.random.default_rng(SEED)
    values = []
    for _ in range(settings.bootstrap_samples):
        rows = rng.integers(0, len(actual), len(actual))
        values.append(task.evaluate(actual[rows], scores[rows], 0.5)[PRIMARY[task.kind]])
    low, high = np.percentile(values, [2.5, 97.5])
    (estimate,) = [e for e in each_task.measurements.metrics if e.name == PRIMARY[task.kind]]
    assert (estimate.low, estimate.high) == pytest.approx((low, high))
    assert estimate.resamples == settings.bootstrap_samples


def test_resamples_a_metric_is_undefined_on_are_left_out_and_counted():
    task, model, test = fitted("binary")
    actual = task.data.encode_target(test[task.data.target.name])
    scores = task.scores(model, task.data.model_frame(test))
    # Two positive rows among all the negative ones: many resamples hold no positive at all.
    rows = np.concatenate([np.flatnonzero(actual == 0), np.flatnonzero(actual == 1)[:2]])
    estimates = bootstrap(task, actual[rows], scores[rows], 0.5, 100, 0.9, np.random.default_rng(0))
    by_name = {estimate.name: estimate for estimate in estimates}
    assert 0 < by_name["roc_auc"].resamples < 100
    assert math.isfinite(by_name["roc_auc"].low)
    assert math.isfinite(by_name["roc_auc"].high)
    assert by_name["accuracy"].resamples == 100


def test_slices_hold_every_row_with_the_metrics_of_their_own(each_task):
    task, test = each_task.task, each_task.test
    actual, scores = scored(each_task)
    slices = {grouping.column: grouping for grouping in each_task.measurements.slices}
    assert list(slices) == list(each_task.settings.slices)
    assert slices["size"].how == "4 quantile bins"
    assert slices["signed_up"].how == "4 quantile bins"
    assert slices["colour"].how == slices["member"].how == "one group per value"
    for grouping in slices.values():
        assert sum(group.rows for group in grouping.groups) == len(test)
    # Categories and booleans by value, the largest group first, missing values last.
    colours = slices["colour"].groups
    assert [group.rows for group in colours[:-1]] == sorted(
        (group.rows for group in colours[:-1]), reverse=True
    )
    assert colours[-1].label == MISSING
    for group in colours:
        rows = in_group(test["colour"], group.label)
        assert group.rows == rows.sum()
        expected = task.evaluate(actual[rows], scores[rows], 0.5)
        for name, value in group.values.items():
            assert value == pytest.approx(expected[name], nan_ok=True), (group.label, name)


def test_a_group_with_too_few_rows_is_flagged(each_task):
    colours = {grouping.column: grouping for grouping in each_task.measurements.slices}["colour"]
    # About 5% of the rows miss their colour (tests/synthetic.py): far fewer than 30.
    missing = colours.groups[-1]
    assert missing.label == MISSING
    assert missing.rows < 30
    assert missing in colours.small
    assert all(group.rows >= 30 for group in colours.groups if group not in colours.small)


def test_numbers_are_cut_in_quantile_bins_and_few_values_kept_whole():
    values = pd.Series([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, np.nan])
    labels, how = group_labels(values, bins=4)
    assert how == "4 quantile bins"
    bins = ["1 to 2.75", "2.75 to 4.5", "4.5 to 6.25", "6.25 to 8"]
    assert list(labels) == [*(label for label in bins for _ in range(2)), MISSING]
    few, how = group_labels(pd.Series([0.0, 1.0, 1.0]), bins=4)
    assert (how, list(few)) == ("one group per value", ["0.0", "1.0", "1.0"])


def test_fairness_rates_and_gaps_are_the_tasks_group_rates(each_task):
    task, test = each_task.task, each_task.test
    actual, scores = scored(each_task)
    predicted = task.predicted(scores, 0.5)
    fairness = each_task.measurements.fairness
    assert fairness.grouping.column == "colour"
    for group in fairness.grouping.groups:
        rows = in_group(test["colour"], group.label)
        for name, rate in task.group_rates.items():
            expected = rate(actual[rows], predicted[rows])
            assert group.values[name] == pytest.approx(expected, nan_ok=True)
    # The small group of missing colours is in the table, not in the gaps.
    compared = [group for group in fairness.grouping.groups if group.rows >= 30]
    assert [gap.rate for gap in fairness.gaps] == list(task.group_rates)
    for gap in fairness.gaps:
        values = {group.label: group.values[gap.rate] for group in compared}
        assert gap.value == pytest.approx(max(values.values()) - min(values.values()))
        assert values[gap.highest] - values[gap.lowest] == pytest.approx(gap.value)
        assert MISSING not in (gap.highest, gap.lowest)


def test_importance_is_scikit_learns_and_finds_the_feature_the_target_follows(each_task):
    task = each_task.task
    actual, _ = scored(each_task)
    features = task.data.model_frame(each_task.test)
    importance = each_task.measurements.importance
    # tests/synthetic.py makes the target follow the first feature.
    assert importance[0].feature == task.data.feature_names[0]
    assert sorted(item.feature for item in importance) == sorted(task.data.feature_names)
    # Scored by the task's own metric, it agrees with scikit-learn's scorer of that metric.
    expected = permutation_importance(
        each_task.model,
        features,
        actual,
        scoring=task.metrics[PRIMARY[task.kind]].scorer,
        n_repeats=each_task.settings.importance_repeats,
        random_state=SEED,
    )
    by_feature = dict(zip(features.columns, expected.importances_mean, strict=True))
    for item in importance:
        assert item.mean == pytest.approx(by_feature[item.feature]), item.feature
