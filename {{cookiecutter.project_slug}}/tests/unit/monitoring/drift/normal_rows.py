"""Ordinary rows, drawn from one distribution whatever the seed, so drift is exactly what a
test puts in; and a small description with every kind of feature, for what a project's own
description may not have (categories, booleans, missing values)."""

import pandas as pd

from {{ cookiecutter.package_name }}.core.description import (
    Boolean,
    Categorical,
    DataDescription,
    Numeric,
    Target,
)
from {{ cookiecutter.package_name }}.project.schema import DATA

from tests.synthetic import synthetic_frame

# Every kind, each of them nullable.
KINDS = DataDescription(
    features=[
        Numeric("size", ge=0, le=100, nullable=True),
        Categorical("colour", ("red", "green", "blue"), nullable=True),
        Boolean("member", nullable=True),
    ],
    target=Target("outcome", labels=("no", "yes")),
)


def draw(rows: int, seed: int, data: DataDescription = DATA) -> pd.DataFrame:
    """The description's features in independent rows, from the same distribution every time."""
    return synthetic_frame(rows, seed, data)[data.feature_names]


def numeric_features(data: DataDescription = DATA) -> list[str]:
    return [feature.name for feature in data.features if isinstance(feature, Numeric)]


def without_values(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """The frame with every cell of the column missing, its type kept."""
    return frame.assign(**{name: frame[name].mask(frame[name].notna())})
