"""What the card measures on the test split: each metric of the task with its bootstrap interval,
the metrics group by group, the task's rates across the groups of a sensitive column, and how
much the model relies on each feature."""

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import pandas as pd

from {{ cookiecutter.package_name }}.core.config import CardParams
from {{ cookiecutter.package_name }}.core.description import DataDescription
from {{ cookiecutter.package_name }}.core.tasks import Metric, Scores, Task

# The group of the rows a column has no value in.
MISSING = "(missing)"


@dataclass(frozen=True)
class Estimate:
    """A metric on the test split, and its percentile interval over bootstrap resamples."""

    name: str
    value: float
    low: float
    high: float
    # The resamples the metric is defined on: roc_auc is not on a resample of one class.
    resamples: int
    greater_is_better: bool


@dataclass(frozen=True)
class Group:
    label: str
    rows: int
    # The task's metrics (a slice) or its group rates (fairness), by name.
    values: dict[str, float]


@dataclass(frozen=True)
class Grouping:
    """A column's test rows in groups: quantile bins of a number or a time, else its values."""

    column: str
    how: str
    groups: tuple[Group, ...]
    min_rows: int

    @property
    def small(self) -> list[Group]:
        """The groups too small to read much into."""
        return [group for group in self.groups if group.rows < self.min_rows]


@dataclass(frozen=True)
class Gap:
    """The largest difference of a rate between two groups."""

    rate: str
    value: float
    highest: str
    lowest: str


@dataclass(frozen=True)
class Fairness:
    grouping: Grouping
    # Among the groups of at least `grouping.min_rows` rows, for each rate defined on two or more.
    gaps: tuple[Gap, ...]


@dataclass(frozen=True)
class Importance:
    feature: str
    # How much the metric worsens when the feature's values are shuffled: mean and deviation.
    mean: float
    std: float


@dataclass(frozen=True)
class Measurements:
    test_rows: int
    metrics: tuple[Estimate, ...]
    slices: tuple[Grouping, ...]
    fairness: Fairness | None
    importance_metric: str
    importance: tuple[Importance, ...]


def measure(
    model,
    task: Task,
    frame: pd.DataFrame,
    settings: CardParams,
    decision_threshold: float,
    primary_metric: str,
    seed: int,
) -> Measurements:
    """Score the model on the rows of `frame` (the test split) and measure what the card shows."""
    data = task.data
    features = data.model_frame(frame)
    actual = data.encode_target(frame[data.target.name])
    scores = task.scores(model, features)
    predicted = task.predicted(scores, decision_threshold)

    def metrics(rows: np.ndarray) -> dict[str, float]:
        return task.evaluate(actual[rows], scores[rows], decision_threshold)

    def rates(rows: np.ndarray) -> dict[str, float]:
        return {
            name: rate(actual[rows], predicted[rows]) for name, rate in task.group_rates.items()
        }

    def grouping(column: str, values: Callable[[np.ndarray], dict[str, float]]) -> Grouping:
        labels, how = group_labels(column_values(frame, column, data), settings.slice_bins)
        return Grouping(column, how, grouped(labels, values), settings.min_slice_rows)

    sensitive = settings.sensitive_column
    return Measurements(
        test_rows=len(frame),
        metrics=bootstrap(
            task,
            actual,
            scores,
            decision_threshold,
            settings.bootstrap_samples,
            settings.confidence_level,
            np.random.default_rng(seed),
        ),
        slices=tuple(grouping(column, metrics) for column in settings.slices),
        fairness=fairness(grouping(sensitive, rates), task) if sensitive else None,
        importance_metric=primary_metric,
        importance=permutation_importances(
            model,
            task,
            features,
            actual,
            decision_threshold,
            task.metrics[primary_metric],
            settings.importance_repeats,
            seed,
        ),
    )


def bootstrap(
    task: Task,
    actual: np.ndarray,
    scores: Scores,
    decision_threshold: float,
    samples: int,
    confidence: float,
    rng: np.random.Generator,
) -> tuple[Estimate, ...]:
    """Each metric, and the percentile interval of its values over `samples` resamples of the
    rows with replacement, from the resamples it is defined on."""
    point = task.evaluate(actual, scores, decision_threshold)
    draws = np.empty((samples, len(point)))
    rows = len(actual)
    with warnings.catch_warnings():
        # A resample may lack a class; scikit-learn says so, and the metric copes or is NaN.
        warnings.simplefilter("ignore", UserWarning)
        for draw in range(samples):
            index = rng.integers(0, rows, rows)
            draws[draw] = list(
                task.evaluate(actual[index], scores[index], decision_threshold).values()
            )
    tail = 100 * (1 - confidence) / 2
    estimates = []
    for column, (name, value) in enumerate(point.items()):
        defined = draws[~np.isnan(draws[:, column]), column]
        low, high = np.percentile(defined, [tail, 100 - tail]) if len(defined) else (math.nan,) * 2
        greater = task.metrics[name].greater_is_better
        estimates.append(Estimate(name, value, float(low), float(high), len(defined), greater))
    return tuple(estimates)


def column_values(frame: pd.DataFrame, column: str, data: DataDescription) -> pd.Series:
    # The time column is read as text, so that any format reaches validation; here it orders.
    return pd.to_datetime(frame[column]) if column == data.time else frame[column]


def group_labels(values: pd.Series, bins: int) -> tuple[pd.Series, str]:
    """Each row's group, in the groups' order, and how they are made: quantile bins (in order)
    for numbers or times with more distinct values than `bins`, else one group per value (the
    largest first); the rows without a value are a group of their own, last."""
    present = values.dropna()
    orderable = (
        pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    ) or pd.api.types.is_datetime64_any_dtype(values)
    if orderable and present.nunique() > bins:
        # Ties can merge quantiles: fewer bins then, each still holding whole values.
        codes, edges = pd.qcut(present, bins, labels=False, retbins=True, duplicates="drop")
        names = [f"{_edge(low)} to {_edge(high)}" for low, high in pairwise(edges)]
        labels = codes.map(lambda code: names[int(code)])
        how = f"{len(names)} quantile bins"
    else:
        labels = present.map(str)
        counts = labels.value_counts()
        names = sorted(counts.index, key=lambda label: (-counts[label], label))
        how = "one group per value"
    every = labels.reindex(values.index, fill_value=MISSING)
    return pd.Series(pd.Categorical(every, categories=[*names, MISSING]), index=values.index), how


def _edge(value) -> str:
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat() if value == value.normalize() else value.isoformat()
    return f"{value:.4g}"


def grouped(
    labels: pd.Series, values: Callable[[np.ndarray], dict[str, float]]
) -> tuple[Group, ...]:
    """The values of each group that has rows, in the labels' order."""
    counts = labels.value_counts(sort=False)
    with warnings.catch_warnings():
        # A small group may lack a class or a second row; its metric is then NaN.
        warnings.simplefilter("ignore", UserWarning)
        return tuple(
            Group(str(label), int(counts[label]), values((labels == label).to_numpy()))
            for label in labels.cat.categories
            if counts[label]
        )


def fairness(grouping: Grouping, task: Task) -> Fairness:
    """Each rate's largest gap between two groups large enough to compare."""
    compared = [group for group in grouping.groups if group.rows >= grouping.min_rows]
    gaps = []
    for rate in task.group_rates:
        defined = [group for group in compared if not math.isnan(group.values[rate])]
        if len(defined) >= 2:
            highest = max(defined, key=lambda group: group.values[rate])
            lowest = min(defined, key=lambda group: group.values[rate])
            gap = highest.values[rate] - lowest.values[rate]
            gaps.append(Gap(rate, gap, highest.label, lowest.label))
    return Fairness(grouping, tuple(gaps))


def permutation_importances(
    model,
    task: Task,
    features: pd.DataFrame,
    actual: np.ndarray,
    decision_threshold: float,
    metric: Metric,
    repeats: int,
    seed: int,
) -> tuple[Importance, ...]:
    """scikit-learn's permutation importance, scored by the task's own metric at the decision
    threshold, signed so that a larger number means the model relies more on the feature."""
    from sklearn.inspection import permutation_importance

    sign = 1 if metric.greater_is_better else -1

    def score(estimator, rows: pd.DataFrame, target: np.ndarray) -> float:
        scores = task.scores(estimator, rows)
        return sign * metric.compute(target, scores, task.predicted(scores, decision_threshold))

    result = permutation_importance(
        model, features, actual, scoring=score, n_repeats=repeats, random_state=seed
    )
    found = [
        Importance(str(name), float(mean), float(std))
        for name, mean, std in zip(
            features.columns, result.importances_mean, result.importances_std, strict=True
        )
    ]
    # The most relied on first; a feature the metric is undefined for (NaN) last.
    return tuple(sorted(found, key=lambda item: (math.isnan(item.mean), -item.mean)))
