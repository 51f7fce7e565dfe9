"""The estimator. Swap in your own here; its hyperparameters live in params.yaml (train)."""

from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from {{ cookiecutter.package_name }}.config import TrainParams


def build_model(params: TrainParams, seed: int) -> Pipeline:
    return Pipeline(
        [
            ("scale", StandardScaler()),
            (
                "classify",
                LogisticRegression(
                    C=params.C,
                    max_iter=params.max_iter,
                    class_weight=params.class_weight,
                    random_state=seed,
                ),
            ),
        ]
    )
