"""Rows made from the project's own data description, so tests hold whatever the table is.

Every value is one the description accepts; nullable columns get some missing cells; the
target follows a rule of the features that a model can learn.
"""

import numpy as np
import pandas as pd

from {{ cookiecutter.package_name }}.core.description import (
    Categorical,
    DataDescription,
    Feature,
    Numeric,
)
from {{ cookiecutter.package_name }}.project.schema import DATA

MISSING_SHARE = 0.05
# Numbers without declared bounds are drawn from this range.
DEFAULT_RANGE = (0.0, 100.0)


def synthetic_frame(rows: int = 150, seed: int = 0, data: DataDescription = DATA) -> pd.DataFrame:
    """Valid, distinct training rows with a learnable target, in the description's columns."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({f.name: _values(f, rows, rng) for f in data.features})
    for name in data.identifiers:
        frame[name] = pd.array([f"{name}-{index}" for index in range(rows)], dtype="string")
    if data.time:
        frame[data.time] = pd.date_range("2024-01-01", periods=rows, freq="D")
    frame[data.target.name] = _target(frame, data, rng)
    return frame[[*data.passthrough, *data.feature_names, data.target.name]]


def signal(frame: pd.DataFrame, data: DataDescription = DATA) -> np.ndarray:
    """A score in [0, 1) per row that the target follows: from the first numeric feature, or
    else the first categorical or boolean one."""
    numeric = [f for f in data.features if isinstance(f, Numeric)]
    if numeric:
        low, high = _range(numeric[0])
        values = frame[numeric[0].name].astype(float).fillna((low + high) / 2)
        return ((values - low) / (high - low)).clip(0, 0.999).to_numpy()
    first = data.features[0]
    levels = first.values if isinstance(first, Categorical) else (False, True)
    codes = frame[first.name].map({level: i for i, level in enumerate(levels)}).fillna(0)
    return (codes.to_numpy(dtype=float) + 0.5) / len(levels)


def _target(frame: pd.DataFrame, data: DataDescription, rng) -> pd.Series:
    score = signal(frame, data)
    classes = data.target.classes
    if not classes:
        return pd.Series(100 * score + rng.normal(0, 1, len(frame)), index=frame.index)
    # Equal-width bands of the score, one per class, with every class present.
    codes = np.minimum((score * len(classes)).astype(int), len(classes) - 1)
    codes[: len(classes)] = np.arange(len(classes))
    return pd.Series([classes[code] for code in codes], index=frame.index)


def _range(feature: Numeric) -> tuple[float, float]:
    low = feature.ge if feature.ge is not None else DEFAULT_RANGE[0]
    high = feature.le if feature.le is not None else max(low + 1, DEFAULT_RANGE[1])
    return float(low), float(high)


def _values(feature: Feature, rows: int, rng) -> pd.Series:
    if isinstance(feature, Numeric):
        low, high = _range(feature)
        values = pd.Series(rng.uniform(low, high, rows))
    elif isinstance(feature, Categorical):
        values = pd.Series(rng.choice(feature.values, rows), dtype="string")
    else:
        values = pd.Series(rng.random(rows) < 0.5, dtype="boolean")
    if feature.nullable:
        values[rng.random(rows) < MISSING_SHARE] = (
            pd.NA if not isinstance(feature, Numeric) else np.nan
        )
    return values


def rows_of(frame: pd.DataFrame, data: DataDescription = DATA) -> list[dict]:
    """Rows as JSON-ready dicts of the features and identifiers: what a client sends."""
    columns = [*data.identifiers, *data.feature_names]
    records = frame[columns].astype(object).where(frame[columns].notna(), None)
    return [
        {key: (value.item() if hasattr(value, "item") else value) for key, value in row.items()}
        for row in records.to_dict(orient="records")
    ]
