import json

import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.drift.batch import shift_features
from {{ cookiecutter.package_name }}.drift.compare import compare
from {{ cookiecutter.package_name }}.drift.profile import build_profile
from {{ cookiecutter.package_name }}.errors import DataValidationError, ProjectError
from {{ cookiecutter.package_name }}.schema import FEATURES, FeatureSpec, feature_specs
from tests.unit.drift.normal_rows import draw

SHIFTED = ["mean_radius", "worst_texture"]


def test_a_batch_from_the_same_distribution_is_not_flagged(reference, rules):
    result = compare(reference, draw(500, seed=2), "batch.csv", rules)
    assert not result.drift
    assert result.drifted_features == []
    assert min(feature.adjusted_p_value for feature in result.features) > rules.p_value


def test_a_shifted_batch_is_flagged_on_the_shifted_features(reference, rules):
    batch = shift_features(draw(500, seed=2), SHIFTED, 0.5, feature_specs())
    result = compare(reference, batch, "batch.csv", rules)
    assert result.drift
    assert result.drifted_features == SHIFTED
    drifted = {feature.feature: feature for feature in result.features if feature.drifted}
    assert drifted["mean_radius"].test == "kolmogorov-smirnov"
    assert drifted["mean_radius"].batch_mean > drifted["mean_radius"].reference_mean
    assert "retraining is due" in result.summary()


def test_drift_within_the_allowed_count_is_no_drift(reference, rules):
    batch = shift_features(draw(500, seed=2), SHIFTED, 0.5, feature_specs())
    lenient = rules.model_copy(update={"max_drifted_features": 2})
    result = compare(reference, batch, "batch.csv", lenient)
    assert not result.drift
    assert result.drifted_features == SHIFTED
    assert result.summary().startswith("no drift: 2 of 30 features drifted (mean_radius,")


def test_a_tiny_shift_between_large_samples_is_significant_but_too_small_to_count(rules):
    large = build_profile(draw(20_000, seed=1), "train.csv", sample_size=20_000, seed=0)
    batch = shift_features(draw(20_000, seed=2), SHIFTED[:1], 0.15, feature_specs())
    feature = compare(large, batch, "batch.csv", rules).features[FEATURES.index(SHIFTED[0])]
    assert feature.adjusted_p_value < rules.p_value
    assert feature.effect_size < rules.min_ks_statistic
    assert not feature.drifted


CATEGORICAL = {"colour": FeatureSpec(str, nullable=False, bounds={}, allowed=("red", "blue"))}


def colours(red: int, blue: int) -> pd.DataFrame:
    return pd.DataFrame({"colour": ["red"] * red + ["blue"] * blue})


@pytest.mark.parametrize(
    ("batch", "drifted"),
    [(colours(red=48, blue=52), False), (colours(red=80, blue=20), True)],
    ids=["same-shares", "more-red"],
)
def test_categorical_features_get_the_chi_squared_test(rules, batch, drifted):
    profile = build_profile(colours(red=250, blue=250), "train.csv", 100, 0, CATEGORICAL)
    (feature,) = compare(profile, batch, "batch.csv", rules).features
    assert feature.test == "chi-squared"
    assert feature.drifted is drifted
    assert feature.reference_mean is None


def test_a_category_never_seen_in_training_counts_as_drift(rules):
    profile = build_profile(colours(red=250, blue=0), "train.csv", 100, 0, CATEGORICAL)
    (feature,) = compare(profile, colours(red=30, blue=30), "batch.csv", rules).features
    assert feature.drifted


def test_a_batch_too_small_to_judge_is_refused(reference, rules):
    with pytest.raises(DataValidationError, match=r"batch\.csv: 10 rows, .*drift\.min_batch_rows"):
        compare(reference, draw(10, seed=2), "batch.csv", rules)


def test_a_profile_older_than_the_schema_asks_for_a_repro(rules):
    profile = build_profile(draw(100, seed=1).drop(columns=["mean_area"]), "t", 100, 0)
    with pytest.raises(ProjectError, match=r"no mean_area.*make repro"):
        compare(profile, draw(100, seed=2), "batch.csv", rules)


def test_the_result_is_plain_json(reference, rules):
    result = json.loads(compare(reference, draw(100, seed=2), "batch.csv", rules).to_json())
    assert result["batch_rows"] == 100
    assert [feature["feature"] for feature in result["features"]] == list(FEATURES)
    assert set(result["features"][0]) >= {"statistic", "p_value", "adjusted_p_value", "drifted"}
