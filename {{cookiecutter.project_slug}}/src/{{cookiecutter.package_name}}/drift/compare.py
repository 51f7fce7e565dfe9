"""Test each feature of a batch against the reference profile, and decide whether to retrain.

Numeric features get the two-sample Kolmogorov-Smirnov test, categorical ones the chi-squared
test of homogeneity (both from scipy). With many features tested at once, some p-values are
small by chance, so they are adjusted with Benjamini-Hochberg before the threshold applies:
when nothing drifted, a batch is wrongly flagged with a probability of about `p_value` at most.

A p-value alone flags tiny, harmless changes in a large batch, so a feature also needs an
effect size (the KS distance, or Cramer's V) above its minimum to count as drifted.
"""

import json
from dataclasses import asdict, dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import stats

from {{ cookiecutter.package_name }}.config import DriftParams
from {{ cookiecutter.package_name }}.drift.profile import (
    CategoricalProfile,
    FeatureProfile,
    NumericProfile,
    ReferenceProfile,
)
from {{ cookiecutter.package_name }}.errors import DataValidationError, ProjectError


@dataclass(frozen=True)
class FeatureDrift:
    feature: str
    test: str
    statistic: float
    effect_size: float
    min_effect_size: float
    p_value: float
    adjusted_p_value: float
    drifted: bool
    # Means of numeric features, for people; categorical ones have none.
    reference_mean: float | None
    batch_mean: float | None


@dataclass(frozen=True)
class DriftResult:
    batch: str
    batch_rows: int
    reference: str
    reference_rows: int
    p_value: float
    max_drifted_features: int
    drift: bool
    drifted_features: list[str]
    features: list[FeatureDrift]

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2) + "\n"

    def summary(self) -> str:
        drifted = self.drifted_features
        count = f"{len(drifted)} of {len(self.features)} features"
        if self.drift:
            return (
                f"drift in {count} ({', '.join(drifted)}), more than the "
                f"{self.max_drifted_features} allowed: retraining is due"
            )
        named = f" ({', '.join(drifted)})" if drifted else ""
        return f"no drift: {count} drifted{named}, at most {self.max_drifted_features} allowed"


class _Outcome(NamedTuple):
    test: str
    statistic: float
    effect_size: float
    min_effect_size: float
    p_value: float
    reference_mean: float | None = None
    batch_mean: float | None = None


def compare(
    profile: ReferenceProfile, batch: pd.DataFrame, source: str, rules: DriftParams
) -> DriftResult:
    """Test every feature of the batch against the profile and apply the rules."""
    if len(batch) < rules.min_batch_rows:
        raise DataValidationError(
            f"{source}: {len(batch)} rows, fewer than the {rules.min_batch_rows} that params.yaml "
            "(drift.min_batch_rows) requires to judge drift"
        )
    missing = [name for name in batch.columns if name not in profile.features]
    if missing:
        raise ProjectError(
            f"the reference profile has no {', '.join(missing)}: it predates the schema; "
            "run `make repro` to rebuild it"
        )
    outcomes = {
        name: _test(profile.features[name], batch[name].dropna(), rules) for name in batch.columns
    }
    adjusted = stats.false_discovery_control([o.p_value for o in outcomes.values()], method="bh")
    features = [
        FeatureDrift(
            feature=name,
            **outcome._asdict(),
            adjusted_p_value=float(adjusted_p),
            drifted=bool(
                adjusted_p < rules.p_value and outcome.effect_size >= outcome.min_effect_size
            ),
        )
        for (name, outcome), adjusted_p in zip(outcomes.items(), adjusted, strict=True)
    ]
    drifted = [feature.feature for feature in features if feature.drifted]
    return DriftResult(
        batch=source,
        batch_rows=len(batch),
        reference=profile.source,
        reference_rows=profile.rows,
        p_value=rules.p_value,
        max_drifted_features=rules.max_drifted_features,
        drift=len(drifted) > rules.max_drifted_features,
        drifted_features=drifted,
        features=features,
    )


def _test(reference: FeatureProfile, values: pd.Series, rules: DriftParams) -> _Outcome:
    if isinstance(reference, NumericProfile):
        values = values.astype(float)
        result = stats.ks_2samp(reference.sample, values)
        distance = float(result.statistic)
        return _Outcome(
            "kolmogorov-smirnov",
            statistic=distance,
            effect_size=distance,
            min_effect_size=rules.min_ks_statistic,
            p_value=float(result.pvalue),
            reference_mean=reference.mean,
            batch_mean=float(values.mean()),
        )
    _, table = contingency_table(reference, values)
    if table.shape[1] < 2:
        # One category on both sides: nothing can have changed.
        return _Outcome("chi-squared", 0.0, 0.0, rules.min_cramers_v, 1.0)
    result = stats.chi2_contingency(table)
    return _Outcome(
        "chi-squared",
        statistic=float(result.statistic),
        effect_size=float(stats.contingency.association(table, method="cramer")),
        min_effect_size=rules.min_cramers_v,
        p_value=float(result.pvalue),
    )


def contingency_table(
    reference: CategoricalProfile, values: pd.Series
) -> tuple[list[str], np.ndarray]:
    """Return every category seen on either side, and their counts: reference, then batch."""
    batch_counts = values.astype(str).value_counts()
    categories = sorted(set(reference.counts) | set(batch_counts.index))
    table = np.array(
        [
            [reference.counts.get(category, 0) for category in categories],
            [int(batch_counts.get(category, 0)) for category in categories],
        ]
    )
    return categories, table
