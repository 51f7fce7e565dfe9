"""The hyperparameter search: scikit-learn's grid or randomized search over the train section,
and its result as the tune stage leaves it for train."""

import json
from pathlib import Path
from typing import Any

from scipy import stats
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.model_selection import GridSearchCV, KFold, RandomizedSearchCV, StratifiedKFold

from {{ cookiecutter.package_name }}.core.config import Distribution, Params, TuneParams
from {{ cookiecutter.package_name }}.core.tasks import TASKS
from {{ cookiecutter.package_name }}.project.model import TrainParams, build_model

SAMPLERS = {
    # scipy's uniform takes a start and a width.
    "uniform": lambda low, high: stats.uniform(low, high - low),
    "loguniform": stats.loguniform,
    # Both ends included, as people read a range in a settings file.
    "randint": lambda low, high: stats.randint(int(low), int(high) + 1),
}


class TrainParamsEstimator(BaseEstimator):
    """build_model's estimator, with the train section's settings as its parameters.

    A search can then vary the settings by their params.yaml names, whatever estimator
    build_model returns.
    """

    def __init__(self, task: str = "binary", seed: int = 0, **train_params: Any) -> None:
        self.task = task
        self.seed = seed
        for name, value in train_params.items():
            setattr(self, name, value)

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {
            "task": self.task,
            "seed": self.seed,
            **{name: getattr(self, name) for name in TrainParams.model_fields},
        }

    def train_params(self) -> TrainParams:
        return TrainParams.model_validate(
            {name: getattr(self, name) for name in TrainParams.model_fields}
        )

    def fit(self, features, target) -> "TrainParamsEstimator":
        self.model_ = build_model(self.train_params(), self.task, seed=self.seed).fit(
            features, target
        )
        return self

    def predict(self, features):
        return self.model_.predict(features)


class TrainParamsClassifier(ClassifierMixin, TrainParamsEstimator):
    def fit(self, features, target) -> "TrainParamsClassifier":
        super().fit(features, target)
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, features):
        return self.model_.predict_proba(features)


class TrainParamsRegressor(RegressorMixin, TrainParamsEstimator):
    pass


def searchable(task: str, seed: int, train_params: TrainParams) -> TrainParamsEstimator:
    """The searchable form of build_model's estimator for a task."""
    kind = TrainParamsRegressor if task == "regression" else TrainParamsClassifier
    return kind(task=task, seed=seed, **train_params.model_dump())


def search_space(tune: TuneParams) -> dict[str, Any]:
    """Turn the space in params.yaml into scikit-learn's: lists as they are, ranges as scipy's."""
    return {
        name: SAMPLERS[values.distribution](values.low, values.high)
        if isinstance(values, Distribution)
        else values
        for name, values in tune.space.items()
    }


def build_search(params: Params) -> GridSearchCV | RandomizedSearchCV:
    """Return the configured search; `n_jobs=-1` uses every core here, or every worker there."""
    tune, seed, task = params.tune, params.split.seed, TASKS[params.task.kind]
    estimator = searchable(task.kind, seed, params.train)
    splitter = StratifiedKFold if task.stratify else KFold
    folds = splitter(n_splits=tune.cv_folds, shuffle=True, random_state=seed)
    scoring = task.metrics[tune.scoring].scorer
    if tune.method == "grid":
        return GridSearchCV(estimator, search_space(tune), scoring=scoring, cv=folds, n_jobs=-1)
    return RandomizedSearchCV(
        estimator,
        search_space(tune),
        n_iter=tune.n_iter,
        scoring=scoring,
        cv=folds,
        n_jobs=-1,
        random_state=seed,
    )


def metric_value(params: Params, score: float) -> float:
    """A search score as the metric's own value: scikit-learn negates lower-is-better ones."""
    metric = TASKS[params.task.kind].metrics[params.tune.scoring]
    return score if metric.greater_is_better else -score


def tuned_train_params(params: Params) -> TrainParams:
    """Return the train section with the search's best values in place of its own."""
    best = _read_result(params.paths.tuned_params)["best_params"]
    return TrainParams.model_validate({**params.train.model_dump(), **best})


def tune_run_id(params: Params) -> str | None:
    return _read_result(params.paths.tuned_params).get("run_id")


def _read_result(path: Path) -> dict:
    # Missing when train runs by itself before any `tune`: then no search has run.
    return json.loads(path.read_text()) if path.exists() else {"best_params": {}}
