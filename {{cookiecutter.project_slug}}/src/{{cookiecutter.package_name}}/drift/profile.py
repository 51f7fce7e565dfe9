"""The reference profile: what the training data looked like, feature by feature.

A numeric feature keeps summary statistics for people and a sample of its values for the
Kolmogorov-Smirnov test, which compares whole distributions and so needs values, not a
summary. The sample is the training rows themselves up to `drift.reference_sample_size`, and
a seeded sample of that many rows beyond it: enough that the sample's own error (about
1/sqrt(size) in the distance) stays far below the drift threshold, and a bounded file however
large the training data grows. A categorical feature keeps the count of each category.
"""

from pathlib import Path
from typing import Annotated, Literal

import pandas as pd
from pydantic import Field, ValidationError

from {{ cookiecutter.package_name }}.config import FrozenModel
from {{ cookiecutter.package_name }}.errors import ProjectError
from {{ cookiecutter.package_name }}.description import DataDescription, Numeric
from {{ cookiecutter.package_name }}.schema import DATA

QUANTILES = {"p05": 0.05, "p25": 0.25, "p50": 0.5, "p75": 0.75, "p95": 0.95}


class NumericProfile(FrozenModel):
    kind: Literal["numeric"] = "numeric"
    mean: float
    std: float
    min: float
    quantiles: dict[str, float]
    max: float
    sample: list[float]


class CategoricalProfile(FrozenModel):
    kind: Literal["categorical"] = "categorical"
    counts: dict[str, int]


FeatureProfile = Annotated[NumericProfile | CategoricalProfile, Field(discriminator="kind")]


class ReferenceProfile(FrozenModel):
    source: str
    rows: int
    sample_rows: int
    features: dict[str, FeatureProfile]


def build_profile(
    frame: pd.DataFrame,
    source: str,
    sample_size: int,
    seed: int,
    data: DataDescription = DATA,
) -> ReferenceProfile:
    """Describe each feature column of the frame; the same inputs give the same profile."""
    sample = frame if len(frame) <= sample_size else frame.sample(sample_size, random_state=seed)
    features = {
        name: _numeric(frame[name], sample[name])
        if isinstance(data.feature(name), Numeric)
        else _categorical(frame[name])
        for name in frame.columns
    }
    return ReferenceProfile(
        source=source, rows=len(frame), sample_rows=len(sample), features=features
    )


def _numeric(values: pd.Series, sample: pd.Series) -> NumericProfile:
    values = values.dropna().astype(float)
    return NumericProfile(
        mean=values.mean(),
        std=values.std(),
        min=values.min(),
        quantiles={key: values.quantile(level) for key, level in QUANTILES.items()},
        max=values.max(),
        sample=sample.dropna().astype(float).tolist(),
    )


def _categorical(values: pd.Series) -> CategoricalProfile:
    counts = values.dropna().astype(str).value_counts().sort_index()
    return CategoricalProfile(counts={key: int(count) for key, count in counts.items()})


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
