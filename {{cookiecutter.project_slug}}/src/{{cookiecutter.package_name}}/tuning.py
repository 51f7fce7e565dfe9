"""The hyperparameter search: scikit-learn's grid or randomized search over the train section."""

from typing import Any

from scipy import stats
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV, StratifiedKFold

from {{ cookiecutter.package_name }}.config import Distribution, Params, TuneParams
from {{ cookiecutter.package_name }}.model import TrainParams, build_model

SAMPLERS = {
    # scipy's uniform takes a start and a width.
    "uniform": lambda low, high: stats.uniform(low, high - low),
    "loguniform": stats.loguniform,
    # Both ends included, as people read a range in a settings file.
    "randint": lambda low, high: stats.randint(int(low), int(high) + 1),
}


class TrainParamsClassifier(ClassifierMixin, BaseEstimator):
    """build_model's estimator, with the train section's settings as its parameters.

    A search can then vary the settings by their params.yaml names, whatever estimator
    build_model returns.
    """

    def __init__(self, seed: int = 0, **train_params: Any) -> None:
        self.seed = seed
        for name, value in train_params.items():
            setattr(self, name, value)

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {
            "seed": self.seed,
            **{name: getattr(self, name) for name in TrainParams.model_fields},
        }

    def train_params(self) -> TrainParams:
        settings = self.get_params()
        settings.pop("seed")
        return TrainParams.model_validate(settings)

    def fit(self, features, target) -> "TrainParamsClassifier":
        self.model_ = build_model(self.train_params(), seed=self.seed).fit(features, target)
        self.classes_ = self.model_.classes_
        return self

    def predict(self, features):
        return self.model_.predict(features)

    def predict_proba(self, features):
        return self.model_.predict_proba(features)


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
    tune, seed = params.tune, params.split.seed
    estimator = TrainParamsClassifier(seed=seed, **params.train.model_dump())
    folds = StratifiedKFold(n_splits=tune.cv_folds, shuffle=True, random_state=seed)
    if tune.method == "grid":
        return GridSearchCV(
            estimator, search_space(tune), scoring=tune.scoring, cv=folds, n_jobs=-1
        )
    return RandomizedSearchCV(
        estimator,
        search_space(tune),
        n_iter=tune.n_iter,
        scoring=tune.scoring,
        cv=folds,
        n_jobs=-1,
        random_state=seed,
    )
