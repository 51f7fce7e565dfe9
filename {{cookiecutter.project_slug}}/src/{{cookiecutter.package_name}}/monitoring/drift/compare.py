"""Test each feature of a batch against the reference profile, and decide whether to retrain.

Each feature gets two tests, as the description declares it (schema.py): one of its values,
the two-sample Kolmogorov-Smirnov test for a numeric feature and the chi-squared test of
homogeneity for a categorical or boolean one; and one of its share of missing values,
Fisher's exact test, since a source that stops filling a column changes nothing else. With
many tests at once, some p-values are small by chance, so they are adjusted with
Benjamini-Hochberg before the threshold applies: when nothing drifted, a batch is wrongly
flagged with a probability of about `p_value` at most.

A p-value alone flags tiny, harmless changes in a large batch, so a test also needs an effect
size (the KS distance, Cramer's V, or the change in the missing share) above its minimum to
count as drift.
"""

import json
from dataclasses import asdict, dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import stats

from {{ cookiecutter.package_name }}.core.config import DriftParams
from {{ cookiecutter.package_name }}.core.description import DataDescription, Feature
from {{ cookiecutter.package_name }}.core.errors import DataValidationError, ProjectError
from {{ cookiecutter.package_name }}.monitoring.drift.profile import (
    CategoricalProfile,
    FeatureProfile,
    NumericProfile,
    ReferenceProfile,
    profile_fits,
    value_counts,
)
from {{ cookiecutter.package_name }}.project.schema import DATA

NO_VALUES = "no values to compare"


@dataclass(frozen=True)
class Signal:
    """One test of a feature. `statistic` is the test's (for the missing share: the batch's
    share less the reference's). A test with nothing to compare has no p-value, says why in
    `note`, takes no part in the adjustment and never drifts."""

    test: str
    statistic: float | None
    effect_size: float | None
    min_effect_size: float
    p_value: float | None
    adjusted_p_value: float | None
    drifted: bool
    note: str = ""


@dataclass(frozen=True)
class FeatureDrift:
    feature: str
    kind: str
    drifted: bool
    values: Signal
    missing: Signal
    reference_missing_share: float
    batch_missing_share: float
    # Means of numeric features, for people; other kinds have none.
    reference_mean: float | None
    batch_mean: float | None

    def signals(self) -> dict[str, Signal]:
        """The feature's tests, by what each tests."""
        return {"values": self.values, "missing share": self.missing}


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

    def tests_run(self) -> int:
        """How many tests the p-values were adjusted for."""
        signals = [signal for feature in self.features for signal in feature.signals().values()]
        return sum(signal.p_value is not None for signal in signals)


class _Outcome(NamedTuple):
    test: str
    statistic: float | None
    effect_size: float | None
    min_effect_size: float
    p_value: float | None
    note: str = ""


def compare(
    profile: ReferenceProfile,
    batch: pd.DataFrame,
    source: str,
    rules: DriftParams,
    data: DataDescription = DATA,
) -> DriftResult:
    """Test every feature of the description in the batch against the profile, and apply
    the rules."""
    if len(batch) < rules.min_batch_rows:
        raise DataValidationError(
            f"{source}: {len(batch)} rows, fewer than the {rules.min_batch_rows} that params.yaml "
            "(drift.min_batch_rows) requires to judge drift"
        )
    _check_profile_describes(profile, data)
    outcomes = [
        (
            _values_test(profile.features[name], batch[name], rules),
            _missing_test(profile, name, batch[name], rules),
        )
        for name in data.feature_names
    ]
    # Each feature's test of its values, then of its missing share.
    signals = _judge([outcome for pair in outcomes for outcome in pair], rules)
    features = [
        _feature_drift(feature, profile, batch[feature.name], tested, missing)
        for feature, tested, missing in zip(
            data.features, signals[0::2], signals[1::2], strict=True
        )
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


def _check_profile_describes(profile: ReferenceProfile, data: DataDescription) -> None:
    stale = [
        feature.name
        for feature in data.features
        if feature.name not in profile.features
        or not profile_fits(profile.features[feature.name], feature)
    ]
    if stale:
        raise ProjectError(
            f"the reference profile does not describe {', '.join(stale)} as schema.py declares "
            "them: it predates the description; run `make repro` to rebuild it"
        )


def _judge(outcomes: list[_Outcome], rules: DriftParams) -> list[Signal]:
    """Adjust the p-values of the tests that ran (Benjamini-Hochberg), then apply the rules."""
    ran = [outcome.p_value for outcome in outcomes if outcome.p_value is not None]
    adjusted = iter(stats.false_discovery_control(ran, method="bh"))
    signals = []
    for outcome in outcomes:
        adjusted_p = None if outcome.p_value is None else float(next(adjusted))
        drifted = (
            adjusted_p is not None
            and adjusted_p < rules.p_value
            and outcome.effect_size >= outcome.min_effect_size
        )
        signals.append(Signal(**outcome._asdict(), adjusted_p_value=adjusted_p, drifted=drifted))
    return signals


def _feature_drift(
    feature: Feature, profile: ReferenceProfile, values: pd.Series, tested: Signal, missing: Signal
) -> FeatureDrift:
    reference = profile.features[feature.name]
    numeric = isinstance(reference, NumericProfile)
    present = values.dropna()
    return FeatureDrift(
        feature=feature.name,
        kind=feature.kind,
        drifted=tested.drifted or missing.drifted,
        values=tested,
        missing=missing,
        reference_missing_share=profile.missing_share(feature.name),
        batch_missing_share=1 - len(present) / len(values),
        reference_mean=reference.mean if numeric else None,
        batch_mean=float(present.astype(float).mean()) if numeric and len(present) else None,
    )


def _values_test(reference: FeatureProfile, values: pd.Series, rules: DriftParams) -> _Outcome:
    values = values.dropna()
    if isinstance(reference, NumericProfile):
        return _kolmogorov_smirnov(reference, values.astype(float), rules)
    return _chi_squared(reference, values, rules)


def _kolmogorov_smirnov(
    reference: NumericProfile, values: pd.Series, rules: DriftParams
) -> _Outcome:
    test, minimum = "kolmogorov-smirnov", rules.min_ks_statistic
    if not reference.sample or values.empty:
        return _Outcome(test, None, None, minimum, None, NO_VALUES)
    result = stats.ks_2samp(reference.sample, values)
    distance = float(result.statistic)
    return _Outcome(test, distance, distance, minimum, float(result.pvalue))


def _chi_squared(reference: CategoricalProfile, values: pd.Series, rules: DriftParams) -> _Outcome:
    test, minimum = "chi-squared", rules.min_cramers_v
    _, table = contingency_table(reference, values)
    if not table.sum(axis=1).all():
        return _Outcome(test, None, None, minimum, None, NO_VALUES)
    if table.shape[1] < 2:
        return _Outcome(test, None, None, minimum, None, "one value on both sides")
    result = stats.chi2_contingency(table)
    cramers_v = float(stats.contingency.association(table, method="cramer"))
    return _Outcome(test, float(result.statistic), cramers_v, minimum, float(result.pvalue))


def _missing_test(
    profile: ReferenceProfile, name: str, values: pd.Series, rules: DriftParams
) -> _Outcome:
    test, minimum = "fisher-exact", rules.min_missing_change
    reference_missing, batch_missing = profile.features[name].missing, int(values.isna().sum())
    if reference_missing == batch_missing == 0:
        return _Outcome(test, None, None, minimum, None, "no missing values on either side")
    table = [
        [reference_missing, profile.rows - reference_missing],
        [batch_missing, len(values) - batch_missing],
    ]
    change = batch_missing / len(values) - profile.missing_share(name)
    p_value = float(stats.fisher_exact(table).pvalue)
    return _Outcome(test, change, abs(change), minimum, p_value)


def contingency_table(
    reference: CategoricalProfile, values: pd.Series
) -> tuple[list[str], np.ndarray]:
    """Return every value seen on either side, and their counts: reference, then batch.

    A value the training data never held is a category of its own."""
    batch_counts = value_counts(values)
    categories = sorted(set(reference.counts) | set(batch_counts.index))
    table = np.array(
        [
            [reference.counts.get(category, 0) for category in categories],
            [int(batch_counts.get(category, 0)) for category in categories],
        ]
    )
    return categories, table
