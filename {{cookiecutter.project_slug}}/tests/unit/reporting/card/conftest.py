"""A model of each task fitted on rows of every column kind, measured as the card measures it."""

from dataclasses import dataclass

import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.core.config import CardParams, load_params
from {{ cookiecutter.package_name }}.core.description import Categorical
from {{ cookiecutter.package_name }}.core.tasks import TASKS, Task, task_for
from {{ cookiecutter.package_name }}.reporting.card.measure import Measurements, measure

from tests.synthetic import synthetic_frame
from tests.unit.descriptions import every_kind

SEED = 3
# Few resamples and shuffles: the tests check what they are, not how precise.
SETTINGS = load_params().card.model_copy(
    update={
        "slices": ("size", "colour", "member", "signed_up"),
        "sensitive_column": "colour",
        "min_slice_rows": 30,
        "bootstrap_samples": 100,
        "importance_repeats": 3,
    }
)
# The metric permutation importance is scored by, per task: one whose scikit-learn scorer gives
# the same value.
PRIMARY = {"binary": "roc_auc", "multiclass": "f1_macro", "regression": "r2"}


def fitted_model(task: Task, frame: pd.DataFrame):
    """A real model of any description's features: imputed and scaled numbers and booleans,
    imputed and one-hot categories, and a linear model."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    data = task.data
    categorical = [f.name for f in data.features if isinstance(f, Categorical)]
    numeric = [name for name in data.feature_names if name not in categorical]
    prepare = ColumnTransformer(
        [
            ("numbers", make_pipeline(SimpleImputer(), StandardScaler()), numeric),
            (
                "categories",
                make_pipeline(
                    SimpleImputer(strategy="most_frequent"),
                    OneHotEncoder(handle_unknown="ignore"),
                ),
                categorical,
            ),
        ]
    )
    estimator = Ridge() if task.kind == "regression" else LogisticRegression(max_iter=1000)
    features = data.model_frame(frame)
    return make_pipeline(prepare, estimator).fit(
        features, data.encode_target(frame[data.target.name])
    )


@dataclass(frozen=True)
class Measured:
    task: Task
    model: object
    test: pd.DataFrame
    settings: CardParams
    measurements: Measurements


def fitted(kind: str) -> tuple[Task, object, pd.DataFrame]:
    """The task on a description of every column kind, a model of it, and test rows."""
    task = task_for(kind, every_kind(kind))
    model = fitted_model(task, synthetic_frame(300, seed=1, data=task.data))
    return task, model, synthetic_frame(160, seed=2, data=task.data)


def measured(kind: str, settings: CardParams = SETTINGS) -> Measured:
    task, model, test = fitted(kind)
    measurements = measure(model, task, test, settings, 0.5, PRIMARY[kind], SEED)
    return Measured(task, model, test, settings, measurements)


@pytest.fixture(scope="module", params=TASKS)
def each_task(request) -> Measured:
    return measured(request.param)
