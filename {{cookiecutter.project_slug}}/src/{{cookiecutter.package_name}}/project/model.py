"""The estimator and its hyperparameters. This file is yours: swap in your own model here, with
its settings in the `train` section of params.yaml; the template's plumbing calls these.

The default is built from the data description in schema.py: missing numbers are imputed with
the median and scaled, missing categories take the most frequent one and are one-hot encoded
(a value unseen in training encodes as all zeros), then a logistic regression for
classification or a ridge regression for regression.
"""

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from {{ cookiecutter.package_name }}.core.errors import ConfigError

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

# The types a saved model may hold beyond what skops trusts by itself. A model is saved and
# loaded with skops, which refuses any other type: review an addition here as you would code.
TRUSTED_TYPES = ["numpy.dtype"]


class TrainParams(BaseModel):
    """The `train` section of params.yaml."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # Inverse regularisation strength: larger values fit the training data more closely
    # (logistic regression's C; a ridge regression's alpha is 1 / C).
    C: float = Field(gt=0)
    max_iter: int = Field(ge=1)
    # Classification only: "balanced" weighs each class by the inverse of its frequency.
    class_weight: Literal["balanced"] | None = None


def build_model(params: TrainParams, task: str, seed: int) -> "Pipeline":
    """An unfitted pipeline for a task of tasks.py: binary, multiclass or regression."""
    # scikit-learn loads here rather than on import, so reading params.yaml stays fast.
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    from {{ cookiecutter.package_name }}.core.description import Categorical
    from {{ cookiecutter.package_name }}.project.schema import DATA

    # Columns by position in the description's order rather than by name, so the model scores a
    # plain array of the features as well as a frame: serving's fast path for numeric inputs.
    categorical = [f for f in DATA.features if isinstance(f, Categorical)]
    positions = {f.name: index for index, f in enumerate(DATA.features)}
    numeric = [positions[f.name] for f in DATA.features if not isinstance(f, Categorical)]
    prepare = ColumnTransformer(
        [
            ("numeric", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
            (
                "categorical",
                make_pipeline(
                    SimpleImputer(strategy="most_frequent"),
                    OneHotEncoder(
                        categories=[list(f.values) for f in categorical], handle_unknown="ignore"
                    ),
                ),
                [positions[f.name] for f in categorical],
            ),
        ]
    )
    if task == "regression":
        if params.class_weight is not None:
            raise ConfigError("params.yaml train.class_weight: for classification only; set null")
        estimator = Ridge(alpha=1 / params.C, max_iter=params.max_iter, random_state=seed)
    else:
        estimator = LogisticRegression(
            C=params.C,
            max_iter=params.max_iter,
            class_weight=params.class_weight,
            random_state=seed,
        )
    return Pipeline([("prepare", prepare), ("estimate", estimator)])
