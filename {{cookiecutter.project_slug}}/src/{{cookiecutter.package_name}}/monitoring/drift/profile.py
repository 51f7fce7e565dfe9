"""The reference profile: what the training data looked like, feature by feature.

A numeric feature keeps summary statistics for people and a sample of its values for the
Kolmogorov-Smirnov test, which compares whole distributions and so needs values, not a
summary. The sample is the training rows themselves up to `drift.reference_sample_size`, and
a seeded sample of that many rows beyond it: enough that the sample's own error (about
1/sqrt(size) in the distance) stays far below the drift threshold, and a bounded file however
large the training data grows. A categorical or boolean feature keeps the count of each value.
Every feature keeps its number of missing values, a signal of its own: a source that stops
sending a column shows first as missing values.
"""

import math
from pathlib import Path
from typing import Annotated, Literal

import pandas as pd
from pydantic import Field, ValidationError

from {{ cookiecutter.package_name }}.core.config import FrozenModel
from {{ cookiecutter.package_name }}.core.description import DataDescription, Feature, Numeric
from {{ cookiecutter.package_name }}.core.errors import ProjectError
from {{ cookiecutter.package_name }}.project.schema import DATA

QUANTILES = {"p05": 0.05, "p25": 0.25, "p50": 0.5, "p75": 0.75, "p95": 0.95}


class NumericProfile(FrozenModel):
    """The statistics are None when the feature has no values (or, for `std`, only one)."""

    kind: Literal["numeric"] = "numeric"
    missing: int
    mean: float | None = None
    std: float | None = None
    min: float | None = None
    quantiles: dict[str, float] = Field(default_factory=dict)
    max: float | None = None
    sample: list[float] = Field(default_factory=list)


class CategoricalProfile(FrozenModel):
    """Categorical and boolean features: how many rows hold each value."""

    kind: Literal["categorical"] = "categorical"
    missing: int
    counts: dict[str, int]


FeatureProfile = Annotated[NumericProfile | CategoricalProfile, Field(discriminator="kind")]


class ReferenceProfile(FrozenModel):
    source: str
    rows: int
    sample_rows: int
    features: dict[str, FeatureProfile]

    def missing_share(self, name: str) -> float:
        return self.features[name].missing / self.rows


def build_profile(
    frame: pd.DataFrame,
    source: str,
    sample_size: int,
    seed: int,
    data: DataDescription = DATA,
) -> ReferenceProfile:
    """Describe each feature of the description; the same inputs give the same profile."""
    sample = frame if len(frame) <= sample_size else frame.sample(sample_size, random_state=seed)
    features = {
        feature.name: _numeric(frame[feature.name], sample[feature.name])
        if isinstance(feature, Numeric)
        else _categorical(frame[feature.name])
        for feature in data.features
    }
    return ReferenceProfile(
        source=source, rows=len(frame), sample_rows=len(sample), features=features
    )


def profile_fits(profile: FeatureProfile, feature: Feature) -> bool:
    """Whether the profile was made for a feature of this kind."""
    return isinstance(profile, NumericProfile) == isinstance(feature, Numeric)


def value_counts(values: pd.Series) -> pd.Series:
    """How many rows hold each value, as text ("red", "True"); missing values aside."""
    return values.dropna().astype(str).value_counts()


def _numeric(values: pd.Series, sample: pd.Series) -> NumericProfile:
    present = values.dropna().astype(float)
    missing = len(values) - len(present)
    if present.empty:
        return NumericProfile(missing=missing)
    return NumericProfile(
        missing=missing,
        mean=present.mean(),
        std=_finite_or_none(present.std()),
        min=present.min(),
        quantiles={key: present.quantile(level) for key, level in QUANTILES.items()},
        max=present.max(),
        sample=sample.dropna().astype(float).tolist(),
    )


def _finite_or_none(value: float) -> float | None:
    # JSON has no NaN: the standard deviation of a single value is none at all.
    return None if math.isnan(value) else float(value)


def _categorical(values: pd.Series) -> CategoricalProfile:
    counts = value_counts(values).sort_index()
    return CategoricalProfile(
        missing=int(values.isna().sum()),
        counts={key: int(count) for key, count in counts.items()},
    )


def save_profile(profile: ReferenceProfile, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(profile.model_dump_json(indent=1) + "\n")


def load_profile(path: Path) -> ReferenceProfile:
    """Read a saved profile, saying how to rebuild it when it is missing or unreadable."""
    rebuild = "run `make repro` (or `dvc pull` to fetch it)"
    try:
        return ReferenceProfile.model_validate_json(path.read_text())
    except FileNotFoundError:
        raise ProjectError(f"{path}: no reference profile; {rebuild}") from None
    except ValidationError as error:
        raise ProjectError(
            f"{path}: not a reference profile ({error.error_count()} problems, the first: "
            f"{error.errors()[0]['msg']}); {rebuild}"
        ) from None
