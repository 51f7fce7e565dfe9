import numpy as np
import pytest
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.model_selection import KFold, StratifiedKFold

from {{ cookiecutter.package_name }}.core.config import Params, TaskParams, load_params
from {{ cookiecutter.package_name }}.core.data import features_and_target
from {{ cookiecutter.package_name }}.core.tasks import TASKS, project_task
from {{ cookiecutter.package_name }}.core.tuning import (
    SAMPLERS,
    build_search,
    metric_value,
    searchable,
)
from {{ cookiecutter.package_name }}.project.model import build_model

from tests.changed_params import another_train_value
from tests.synthetic import synthetic_frame


def with_search(params: Params | None = None, **changes) -> Params:
    params = params or load_params()
    return params.model_copy(update={"tune": params.tune.model_copy(update=changes)})


def two_values_space(params: Params) -> dict[str, list]:
    """The train section's value of one setting, and another."""
    name, other = another_train_value(params)
    return {name: [getattr(params.train, name), other]}


def in_process(params: Params):
    """The configured search, in this process: starting worker processes takes longer than
    these small searches."""
    return build_search(params).set_params(n_jobs=1)


@pytest.fixture
def training():
    return features_and_target(synthetic_frame(120))


def test_the_searchable_model_fits_what_build_model_builds(training):
    params = load_params()
    task = project_task(params.task.kind)
    model = searchable(task.kind, 7, params.train).fit(*training)
    direct = build_model(params.train, task.kind, seed=7).fit(*training)
    features = training[0]
    np.testing.assert_array_equal(task.scores(model, features), task.scores(direct, features))


def test_the_searchable_model_clones_with_new_settings():
    params = load_params()
    name, other = another_train_value(params)
    model = searchable(params.task.kind, 1, params.train)
    changed = clone(model).set_params(**{name: other})
    assert getattr(changed.train_params(), name) == other
    assert model.train_params() == params.train


@pytest.mark.parametrize("kind", TASKS)
def test_each_task_is_searched_with_its_folds_and_scorer(kind):
    task = TASKS[kind]
    params = load_params()
    params = params.model_copy(update={"task": TaskParams(kind=kind)})
    params = with_search(params, scoring=task.default_primary)
    search = build_search(params)
    # Folds by class keep a rare class in every fold; a regression has no classes.
    assert type(search.cv) is (StratifiedKFold if task.stratify else KFold)
    assert search.scoring == task.metrics[task.default_primary].scorer
    assert (is_regressor if kind == "regression" else is_classifier)(search.estimator)


def test_a_grid_search_tries_every_combination(training):
    params = load_params()
    space = two_values_space(params)
    search = in_process(with_search(params, method="grid", cv_folds=3, space=space))
    search.fit(*training)
    assert search.cv_results_["params"] == [
        {name: value} for name in space for value in space[name]
    ]


def test_a_randomized_search_samples_repeatably(training):
    params = load_params()
    space = two_values_space(params)
    params = with_search(params, method="random", n_iter=2, cv_folds=3, space=space)
    first = in_process(params).fit(*training).cv_results_["params"]
    second = in_process(params).fit(*training).cv_results_["params"]
    assert first == second
    assert len(first) == 2


def test_ranges_are_sampled_between_their_ends_both_included():
    rng = np.random.default_rng(0)
    assert set(SAMPLERS["randint"](1, 3).rvs(200, random_state=rng)) == {1, 2, 3}
    for distribution in ("uniform", "loguniform"):
        values = SAMPLERS[distribution](0.5, 2.0).rvs(200, random_state=rng)
        assert values.min() >= 0.5, distribution
        assert values.max() <= 2.0, distribution


def test_a_lower_is_better_scoring_reports_the_metrics_own_value(training):
    params = load_params()
    task = project_task(params.task.kind)
    # Every task has one: log_loss for classes, rmse and mae for values.
    name = next(name for name, metric in task.metrics.items() if not metric.greater_is_better)
    space = two_values_space(params)
    params = with_search(params, method="grid", cv_folds=3, space=space, scoring=name)
    search = in_process(params).fit(*training)
    values = [metric_value(params, score) for score in search.cv_results_["mean_test_score"]]
    # The metric is positive and the best is the lowest, whereas scikit-learn maximises its
    # negation.
    assert min(values) > 0
    assert metric_value(params, search.best_score_) == pytest.approx(min(values))
