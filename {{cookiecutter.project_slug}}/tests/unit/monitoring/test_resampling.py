"""The metrics on many resamples at once are the task's own metrics on each resample."""

import numpy as np
import pytest

from {{ cookiecutter.package_name }}.core.tasks import TASKS, task_for
from {{ cookiecutter.package_name }}.monitoring import resampling
from {{ cookiecutter.package_name }}.monitoring.resampling import Rows, resampled

from tests.unit.descriptions import every_kind

RESAMPLES = 300
ROWS = 8


def rows_for(kind: str, rows: int, rng: np.random.Generator) -> Rows:
    """Rows with tied scores, and for binary a rare positive class, so that some resamples
    hold ties and some no positive row at all (roc_auc undefined)."""
    task = task_for(kind, every_kind(kind))
    if not task.classes:
        actual = rng.normal(size=rows)
        return Rows(actual, actual.round(), actual.round())
    classes = len(task.classes)
    scores = rng.dirichlet(np.ones(classes), size=rows).round(1)
    scores[:, 0] = 1 - scores[:, 1:].sum(axis=1)
    actual = (
        (rng.random(rows) < 0.15).astype(int) if classes == 2 else rng.integers(0, classes, rows)
    )
    return Rows(actual, scores, task.predicted(scores, 0.5))


# Resamples of a rare class predicted, but not drawn: scikit-learn warns, and skips the class.
@pytest.mark.filterwarnings("ignore:y_pred contains classes not in y_true")
@pytest.mark.parametrize(
    ("kind", "metric"), [(kind, metric) for kind in TASKS for metric in TASKS[kind].metrics]
)
def test_the_weighted_form_of_each_metric_gives_the_tasks_values(kind, metric, monkeypatch):
    task = task_for(kind, every_kind(kind))
    rows = rows_for(kind, ROWS, np.random.default_rng(0))
    seed = np.random.SeedSequence(1)
    # Blocks of 7 resamples, the last one shorter.
    monkeypatch.setattr(resampling, "BLOCK_CELLS", ROWS * 7)
    fast = resampled(task, metric, rows, RESAMPLES, seed)
    assert np.array_equal(fast, resampled(task, metric, rows, RESAMPLES, seed), equal_nan=True)
    monkeypatch.delitem(resampling.WEIGHTED, metric)
    one_by_one = resampled(task, metric, rows, RESAMPLES, seed)
    np.testing.assert_allclose(fast, one_by_one, rtol=1e-12, atol=1e-12)
    if metric == "roc_auc":
        assert 0 < np.isnan(fast).sum() < RESAMPLES
