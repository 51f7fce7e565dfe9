"""Small data descriptions with every column kind, for behaviour the project's own table may
not show (categories, booleans, empty cells, identifiers, a time, text labels); values that a
description refuses; and a model for any description."""

from typing import Any

import pandas as pd
from sklearn.dummy import DummyClassifier, DummyRegressor

from {{ cookiecutter.package_name }}.core.description import (
    Boolean,
    Categorical,
    DataDescription,
    Numeric,
    Target,
)
from {{ cookiecutter.package_name }}.core.tasks import Task, TaskKind

# A target of each task. The binary one lists its positive label first, so that its class
# order (the positive label is class 1) differs from the order it is declared in.
TARGETS: dict[TaskKind, Target] = {
    "binary": Target("outcome", labels=("yes", "no"), positive="yes"),
    "multiclass": Target("grade", labels=("low", "mid", "high")),
    "regression": Target("amount"),
}


def every_kind(task: TaskKind = "binary") -> DataDescription:
    """A table with a feature of each kind, an identifier, a time, an ignored column and the
    task's target; the first feature is the numeric one that tests/synthetic.py's target
    follows."""
    return DataDescription(
        features=[
            Numeric("size", ge=0, le=10),
            Numeric("weight", nullable=True),
            Categorical("colour", ("red", "green", "blue"), nullable=True),
            Boolean("member", nullable=True),
        ],
        target=TARGETS[task],
        identifiers=["customer"],
        time="signed_up",
        ignored=["note"],
    )


def refused(data: DataDescription, column: str) -> Any:
    """A value the description refuses in a feature or the target column."""
    if column == data.target.name:
        labels = data.target.labels
        return "not a number" if labels is None else _unlisted([str(label) for label in labels])
    feature = data.feature(column)
    if isinstance(feature, Categorical):
        return _unlisted(feature.values)
    if isinstance(feature, Boolean):
        return "maybe"
    if feature.ge is not None:
        return float(feature.ge) - 1
    return float(feature.le) + 1 if feature.le is not None else float("inf")


def constant_model(task: Task, frame: pd.DataFrame):
    """A model of any description's features that predicts the same for every row: the
    frequency of each class, or the mean value, of the rows' target."""
    features = task.data.model_frame(frame)
    target = task.data.encode_target(frame[task.data.target.name])
    return (DummyRegressor() if task.kind == "regression" else DummyClassifier()).fit(
        features, target
    )


def _unlisted(values: list[str] | tuple[str, ...]) -> str:
    # Longer than every listed value, so none of them.
    return "?" * (1 + max(len(value) for value in values))
