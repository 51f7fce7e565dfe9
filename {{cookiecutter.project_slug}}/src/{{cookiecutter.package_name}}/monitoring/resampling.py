"""The task's metrics on many bootstrap resamples of labelled rows at once.

A resample of n rows drawn with replacement is the n rows, each weighted by the number of times
it was drawn. Every metric of tasks.py is a function of weighted sums: the cells of a confusion
matrix, sums of losses or errors, and for roc_auc the weight of the negatives ranked below each
positive. So B resamples are one (B x n) matrix of counts times a few columns of the rows:
no Python loop over resamples. A metric without such a form here is computed resample by
resample with the task's own function: slower, with the same values.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from {{ cookiecutter.package_name }}.core.tasks import Scores, Task

# Resamples are drawn and counted in blocks of at most this many (resample, row) cells, so that
# memory stays within tens of MB whatever the number of rows and resamples.
BLOCK_CELLS = 2_000_000


@dataclass(frozen=True)
class Rows:
    """Labelled rows: the actual classes (0..k-1) or values, the scores and the predicted
    classes or values, as the task's metrics take them."""

    actual: np.ndarray
    scores: Scores
    predicted: np.ndarray

    def __len__(self) -> int:
        return len(self.actual)

    def take(self, index: np.ndarray) -> "Rows":
        return Rows(self.actual[index], self.scores[index], self.predicted[index])


def resampled(
    task: Task, metric: str, rows: Rows, resamples: int, seed: np.random.SeedSequence
) -> np.ndarray:
    """The metric on each of `resamples` resamples of the rows, NaN where it is undefined
    (roc_auc on a resample of one class). The same seed draws the same positions: two arms of
    as many rows resampled with one seed are resampled in pairs."""
    weighted = WEIGHTED.get(metric)
    compute = task.metrics[metric].compute
    values = []
    for drawn in _draws(len(rows), resamples, seed):
        if weighted is None:
            one_by_one = [compute(*_fields(rows.take(index))) for index in drawn]
            values.append(np.array(one_by_one, dtype=float))
        else:
            offsets = np.arange(len(drawn), dtype=drawn.dtype)[:, None] * len(rows)
            counts = np.bincount((drawn + offsets).ravel(), minlength=drawn.size)
            values.append(weighted(rows, counts.reshape(drawn.shape).astype(float)))
    return np.concatenate(values)


def _draws(rows: int, resamples: int, seed: np.random.SeedSequence) -> Iterator[np.ndarray]:
    """The positions each resample draws, with replacement, a block of resamples at a time."""
    rng = np.random.default_rng(seed)
    block = max(1, BLOCK_CELLS // rows)
    for first in range(0, resamples, block):
        size = min(block, resamples - first)
        # int32 draws faster, and holds a block's cell positions (fewer than 2^31).
        yield rng.integers(0, rows, size=(size, rows), dtype=np.int32)


def _fields(rows: Rows) -> tuple[np.ndarray, Scores, np.ndarray]:
    return rows.actual, rows.scores, rows.predicted


# (rows, counts: resamples x rows) -> the metric of each resample
Weighted = Callable[[Rows, np.ndarray], np.ndarray]


def _ratio(numerator: np.ndarray, denominator: np.ndarray, empty: float) -> np.ndarray:
    """numerator / denominator, and `empty` where the denominator is 0 (scikit-learn's
    zero_division=0, or NaN for an undefined value)."""
    safe = np.where(denominator > 0, denominator, 1)
    return np.where(denominator > 0, numerator / safe, empty)


def _confusion(rows: Rows, counts: np.ndarray) -> np.ndarray:
    """Each resample's confusion matrix: [resample, actual class, predicted class]."""
    classes = rows.scores.shape[1]
    cells = np.zeros((len(rows), classes * classes))
    cells[np.arange(len(rows)), rows.actual * classes + rows.predicted] = 1
    return (counts @ cells).reshape(len(counts), classes, classes)


def _per_class(rows: Rows, counts: np.ndarray) -> tuple[np.ndarray, ...]:
    """Each resample's true positives, actual and predicted counts of every class."""
    confusion = _confusion(rows, counts)
    return np.diagonal(confusion, axis1=1, axis2=2), confusion.sum(axis=2), confusion.sum(axis=1)


def _accuracy(rows: Rows, counts: np.ndarray) -> np.ndarray:
    return counts @ (rows.actual == rows.predicted) / counts.sum(axis=1)


def _precision(rows: Rows, counts: np.ndarray) -> np.ndarray:
    hits, _, predicted = _per_class(rows, counts)
    return _ratio(hits[:, 1], predicted[:, 1], 0.0)


def _recall(rows: Rows, counts: np.ndarray) -> np.ndarray:
    hits, actual, _ = _per_class(rows, counts)
    return _ratio(hits[:, 1], actual[:, 1], 0.0)


def _f1(rows: Rows, counts: np.ndarray) -> np.ndarray:
    hits, actual, predicted = _per_class(rows, counts)
    return _ratio(2 * hits[:, 1], actual[:, 1] + predicted[:, 1], 0.0)


def _f1_macro(rows: Rows, counts: np.ndarray) -> np.ndarray:
    # Averaged over the classes a resample holds or predicts, as scikit-learn does.
    hits, actual, predicted = _per_class(rows, counts)
    present = actual + predicted > 0
    f1 = _ratio(2 * hits, actual + predicted, 0.0)
    return (f1 * present).sum(axis=1) / present.sum(axis=1)


def _balanced_accuracy(rows: Rows, counts: np.ndarray) -> np.ndarray:
    # The recall of each class a resample holds, averaged.
    hits, actual, _ = _per_class(rows, counts)
    present = actual > 0
    return (_ratio(hits, actual, 0.0) * present).sum(axis=1) / present.sum(axis=1)


def _log_loss(rows: Rows, counts: np.ndarray) -> np.ndarray:
    # Probabilities clipped away from 0 and 1 as scikit-learn does.
    eps = np.finfo(float).eps
    given = rows.scores[np.arange(len(rows)), rows.actual]
    return counts @ -np.log(np.clip(given, eps, 1 - eps)) / counts.sum(axis=1)


def _roc_auc(rows: Rows, counts: np.ndarray) -> np.ndarray:
    # The weight of (positive, negative) pairs ranked right, a tie counting half, over the
    # weight of all pairs; rows of equal score form one group.
    order = np.argsort(rows.scores[:, 1], kind="stable")
    score, positive = rows.scores[order, 1], rows.actual[order] == 1
    starts = np.flatnonzero(np.r_[True, np.diff(score) != 0])
    drawn = counts[:, order]
    positives = np.add.reduceat(drawn * positive, starts, axis=1)
    negatives = np.add.reduceat(drawn * ~positive, starts, axis=1)
    below = np.cumsum(negatives, axis=1) - negatives
    right = (positives * (below + negatives / 2)).sum(axis=1)
    return _ratio(right, positives.sum(axis=1) * negatives.sum(axis=1), np.nan)


def _errors(rows: Rows) -> np.ndarray:
    return rows.actual - rows.predicted


def _mae(rows: Rows, counts: np.ndarray) -> np.ndarray:
    return counts @ np.abs(_errors(rows)) / counts.sum(axis=1)


def _rmse(rows: Rows, counts: np.ndarray) -> np.ndarray:
    return np.sqrt(counts @ _errors(rows) ** 2 / counts.sum(axis=1))


def _r2(rows: Rows, counts: np.ndarray) -> np.ndarray:
    size = counts.sum(axis=1)
    residual = counts @ _errors(rows) ** 2
    mean = counts @ rows.actual / size
    total = (counts * (rows.actual[None, :] - mean[:, None]) ** 2).sum(axis=1)
    # Values that do not vary: scikit-learn gives 1 to a perfect prediction, else 0.
    flat = np.where(residual == 0, 1.0, 0.0)
    return np.where(total > 0, 1 - residual / np.where(total > 0, total, 1), flat)


WEIGHTED: dict[str, Weighted] = {
    "accuracy": _accuracy,
    "precision": _precision,
    "recall": _recall,
    "f1": _f1,
    "f1_macro": _f1_macro,
    "balanced_accuracy": _balanced_accuracy,
    "log_loss": _log_loss,
    "roc_auc": _roc_auc,
    "mae": _mae,
    "rmse": _rmse,
    "r2": _r2,
}
