import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from {{ cookiecutter.package_name }}.core.errors import DataValidationError, ProjectError
from {{ cookiecutter.package_name }}.monitoring.drift.batch import shift_features
from {{ cookiecutter.package_name }}.monitoring.drift.compare import compare, contingency_table
from {{ cookiecutter.package_name }}.monitoring.drift.profile import build_profile
from {{ cookiecutter.package_name }}.project.schema import DATA

from tests.unit.monitoring.drift.normal_rows import KINDS, draw, numeric_features, without_values


@pytest.fixture(scope="module")
def shifted_names() -> list[str]:
    names = numeric_features()[:2]
    if not names:
        pytest.skip("schema.py declares no numeric feature to shift")
    return names


def test_a_batch_from_the_same_distribution_is_not_flagged(reference, rules):
    result = compare(reference, draw(2000, seed=2), "batch.csv", rules)
    assert not result.drift
    assert result.drifted_features == []
    assert result.summary() == (
        f"no drift: 0 of {len(DATA.features)} features drifted, "
        f"at most {rules.max_drifted_features} allowed"
    )


def test_a_shifted_batch_is_flagged_on_the_shifted_features(reference, rules, shifted_names):
    batch = shift_features(draw(2000, seed=2), shifted_names, 1.0)
    result = compare(reference, batch, "batch.csv", rules)
    assert result.drift
    assert result.drifted_features == shifted_names
    drifted = {feature.feature: feature for feature in result.features if feature.drifted}
    first = drifted[shifted_names[0]]
    assert (first.values.test, first.values.drifted) == ("kolmogorov-smirnov", True)
    assert first.batch_mean > first.reference_mean
    assert result.summary() == (
        f"drift in {len(shifted_names)} of {len(DATA.features)} features "
        f"({', '.join(shifted_names)}), more than the {rules.max_drifted_features} allowed: "
        "retraining is due"
    )


def test_drift_within_the_allowed_count_is_no_drift(reference, rules, shifted_names):
    batch = shift_features(draw(2000, seed=2), shifted_names, 1.0)
    lenient = rules.model_copy(update={"max_drifted_features": len(shifted_names)})
    result = compare(reference, batch, "batch.csv", lenient)
    assert not result.drift
    assert result.drifted_features == shifted_names
    assert result.summary() == (
        f"no drift: {len(shifted_names)} of {len(DATA.features)} features drifted "
        f"({', '.join(shifted_names)}), at most {len(shifted_names)} allowed"
    )


def test_a_tiny_shift_between_large_samples_is_significant_but_too_small_to_count(
    rules, shifted_names
):
    large = build_profile(draw(20_000, seed=1), "train.csv", sample_size=20_000, seed=0)
    batch = shift_features(draw(20_000, seed=2), shifted_names[:1], 0.15)
    feature = compare(large, batch, "batch.csv", rules).features[
        DATA.feature_names.index(shifted_names[0])
    ]
    assert feature.values.adjusted_p_value < rules.p_value
    assert feature.values.effect_size < rules.min_ks_statistic
    assert not feature.drifted


def test_a_batch_too_small_to_judge_is_refused(reference, rules):
    smallest = rules.min_batch_rows
    assert compare(reference, draw(smallest, seed=2), "batch.csv", rules).batch_rows == smallest
    with pytest.raises(DataValidationError) as refused:
        compare(reference, draw(smallest - 1, seed=2), "batch.csv", rules)
    assert str(refused.value) == (
        f"batch.csv: {smallest - 1} rows, fewer than the {smallest} that params.yaml "
        "(drift.min_batch_rows) requires to judge drift"
    )


def test_a_profile_older_than_the_description_asks_for_a_repro(rules):
    first = DATA.feature_names[0]
    profile = build_profile(draw(100, seed=1), "train.csv", 100, 0)
    older = profile.model_copy(update={"features": dict(list(profile.features.items())[1:])})
    with pytest.raises(ProjectError, match=rf"does not describe {first} .*make repro"):
        compare(older, draw(100, seed=2), "batch.csv", rules)


def test_a_feature_whose_kind_changed_asks_for_a_repro(kinds_reference, rules):
    features = kinds_reference.features
    retyped = kinds_reference.model_copy(
        update={"features": {**features, "size": features["member"]}}
    )
    with pytest.raises(ProjectError, match=r"does not describe size as schema\.py declares"):
        compare(retyped, draw(100, 2, KINDS), "batch.csv", rules, KINDS)


def test_a_profile_missing_features_names_them_all(kinds_reference, rules):
    features = kinds_reference.features
    older = kinds_reference.model_copy(update={"features": {"member": features["member"]}})
    with pytest.raises(ProjectError) as refused:
        compare(older, draw(100, 2, KINDS), "batch.csv", rules, KINDS)
    assert str(refused.value) == (
        "the reference profile does not describe size, colour as schema.py declares them: it "
        "predates the description; run `make repro` to rebuild it"
    )


def test_a_p_value_at_the_threshold_is_not_drift_and_an_effect_at_its_minimum_is(
    reference, rules, shifted_names
):
    name = shifted_names[0]
    batch = shift_features(draw(300, seed=2), [name], 0.5)

    def values_test(**update):
        result = compare(reference, batch, "batch.csv", rules.model_copy(update=update))
        return result.features[DATA.feature_names.index(name)].values

    observed = values_test()
    adjusted, distance = observed.adjusted_p_value, observed.effect_size
    assert 0 < adjusted < 0.5
    # Significant only below the threshold: at it, the test does not drift.
    assert not values_test(p_value=adjusted, min_ks_statistic=0).drifted
    assert values_test(p_value=math.nextafter(adjusted, 1), min_ks_statistic=0).drifted
    # Large enough from the minimum on: at it, the test drifts.
    assert values_test(p_value=0.5, min_ks_statistic=distance).drifted
    assert not values_test(p_value=0.5, min_ks_statistic=math.nextafter(distance, 1)).drifted
    # The Kolmogorov-Smirnov distance is both the statistic and the effect size.
    assert observed.statistic == distance


def test_the_result_is_plain_json(reference, rules):
    compared = compare(reference, draw(100, seed=2), "batch.csv", rules)
    # Indented, one key to a line, for people and diffs.
    assert compared.to_json().startswith('{\n  "batch": "batch.csv",\n  "batch_rows": 100,\n')
    assert compared.to_json().endswith("\n}\n")
    result = json.loads(compared.to_json())
    assert (result["reference"], result["reference_rows"]) == ("train.csv", reference.rows)
    assert (result["p_value"], result["max_drifted_features"]) == (
        rules.p_value,
        rules.max_drifted_features,
    )
    assert result["batch_rows"] == 100
    assert [feature["feature"] for feature in result["features"]] == DATA.feature_names
    assert set(result["features"][0]["values"]) >= {"statistic", "p_value", "adjusted_p_value"}
    assert set(result["features"][0]) >= {"drifted", "missing", "batch_missing_share"}


# Kinds a project's own description may not have, with a description of their own.


def with_column(frame: pd.DataFrame, name: str, counts: dict, dtype: str) -> pd.DataFrame:
    """The frame with the column holding each value of `counts` that many times, shuffled."""
    values = [value for value, count in counts.items() for _ in range(count)]
    assert len(values) == len(frame)
    order = np.random.default_rng(0).permutation(len(values))
    return frame.assign(**{name: pd.array(np.array(values, dtype=object)[order], dtype=dtype)})


def colours(rows: int, seed: int, **counts: int) -> pd.DataFrame:
    return with_column(draw(rows, seed, KINDS), "colour", counts, "string")


def kinds_profile(frame: pd.DataFrame):
    return build_profile(frame, "train.csv", sample_size=5000, seed=0, data=KINDS)


def feature_of(result, name: str):
    return next(feature for feature in result.features if feature.feature == name)


@pytest.mark.parametrize(
    ("shares", "drifted"),
    [({"red": 48, "green": 26, "blue": 26}, False), ({"red": 80, "green": 10, "blue": 10}, True)],
    ids=["same-shares", "more-red"],
)
def test_categorical_features_get_the_chi_squared_test(rules, shares, drifted):
    profile = kinds_profile(colours(600, 1, red=200, green=200, blue=200))
    result = compare(profile, colours(100, 2, **shares), "batch.csv", rules, KINDS)
    colour = feature_of(result, "colour")
    assert (colour.kind, colour.values.test) == ("categorical", "chi-squared")
    assert colour.drifted is drifted
    assert colour.reference_mean is None
    # The chi-squared statistic, and Cramer's V as the effect size.
    _, table = contingency_table(profile.features["colour"], colours(100, 2, **shares)["colour"])
    assert colour.values.statistic == pytest.approx(stats.chi2_contingency(table).statistic)
    assert 0 < colour.values.effect_size < 1


def test_the_counts_of_a_value_are_zero_where_it_was_never_seen(rules):
    profile = kinds_profile(colours(300, 1, red=300))
    batch = colours(60, 2, red=30, blue=30)["colour"]
    categories, table = contingency_table(profile.features["colour"], batch)
    assert categories == ["blue", "red"]
    assert table.tolist() == [[0, 300], [30, 30]]


def test_one_value_on_both_sides_is_not_tested(rules):
    profile = kinds_profile(colours(300, 1, red=300))
    colour = feature_of(
        compare(profile, colours(60, 2, red=60), "batch.csv", rules, KINDS), "colour"
    )
    assert (colour.values.test, colour.values.min_effect_size) == (
        "chi-squared",
        rules.min_cramers_v,
    )
    assert (colour.values.p_value, colour.values.note) == (None, "one value on both sides")
    assert not colour.drifted


def test_booleans_get_the_chi_squared_test(kinds_reference, rules):
    batch = with_column(draw(200, 2, KINDS), "member", {True: 170, False: 30}, "boolean")
    member = feature_of(compare(kinds_reference, batch, "batch.csv", rules, KINDS), "member")
    assert (member.kind, member.values.test, member.drifted) == ("boolean", "chi-squared", True)


def test_a_value_never_seen_in_training_counts_as_drift(rules):
    profile = kinds_profile(colours(300, 1, red=300))
    result = compare(profile, colours(60, 2, red=30, blue=30), "batch.csv", rules, KINDS)
    assert feature_of(result, "colour").values.drifted


def test_the_same_kinds_with_the_same_share_missing_are_not_flagged(kinds_reference, rules):
    result = compare(kinds_reference, draw(2000, 2, KINDS), "batch.csv", rules, KINDS)
    assert result.drifted_features == []
    # Every feature has missing values on both sides: two tests each, adjusted together.
    assert result.tests_run() == 2 * len(KINDS.features)


def test_a_rise_in_missing_values_is_drift_of_its_own(kinds_reference, rules):
    batch = draw(400, 2, KINDS)
    batch.loc[batch.index[:160], "size"] = np.nan
    size = feature_of(compare(kinds_reference, batch, "batch.csv", rules, KINDS), "size")
    assert not size.values.drifted
    assert (size.missing.test, size.missing.drifted) == ("fisher-exact", True)
    assert size.batch_missing_share > 0.4 > 0.1 > size.reference_missing_share
    rise = size.batch_missing_share - size.reference_missing_share
    # The statistic is the change in the share, the effect size its magnitude.
    assert (size.missing.statistic, size.missing.effect_size) == (pytest.approx(rise),) * 2
    # Fisher's exact test of (missing, present) rows on each side.
    reference_missing = kinds_reference.features["size"].missing
    batch_missing = int(batch["size"].isna().sum())
    table = [
        [reference_missing, kinds_reference.rows - reference_missing],
        [batch_missing, len(batch) - batch_missing],
    ]
    assert size.missing.p_value == stats.fisher_exact(table).pvalue
    assert size.drifted


def test_a_fall_in_missing_values_is_a_negative_change(kinds_reference, rules):
    batch = draw(400, 2, KINDS).assign(size=lambda frame: frame["size"].fillna(50.0))
    size = feature_of(compare(kinds_reference, batch, "batch.csv", rules, KINDS), "size")
    assert size.batch_missing_share == 0
    fall = -size.reference_missing_share
    assert (size.missing.statistic, size.missing.effect_size) == (
        pytest.approx(fall),
        pytest.approx(-fall),
    )


def test_a_small_change_in_missing_values_is_too_small_to_count(rules):
    reference = draw(20_000, 1, KINDS)
    batch = draw(20_000, 2, KINDS)
    batch.loc[batch.index[:600], "size"] = np.nan
    size = feature_of(compare(kinds_profile(reference), batch, "b.csv", rules, KINDS), "size")
    assert size.missing.adjusted_p_value < rules.p_value
    assert size.missing.effect_size < rules.min_missing_change
    assert not size.drifted


@pytest.mark.parametrize("name", ["size", "colour", "member"])
def test_a_feature_with_no_values_in_the_batch_is_drift_not_a_crash(kinds_reference, rules, name):
    batch = without_values(draw(100, 2, KINDS), name)
    result = compare(kinds_reference, batch, "batch.csv", rules, KINDS)
    feature = feature_of(result, name)
    assert (feature.values.p_value, feature.values.note) == (None, "no values to compare")
    expected = {
        "size": ("kolmogorov-smirnov", rules.min_ks_statistic),
        "colour": ("chi-squared", rules.min_cramers_v),
        "member": ("chi-squared", rules.min_cramers_v),
    }
    assert (feature.values.test, feature.values.min_effect_size) == expected[name]
    assert list(feature.signals().items()) == [
        ("values", feature.values),
        ("missing share", feature.missing),
    ]
    assert feature.missing.drifted
    assert result.drifted_features == [name]
    json.loads(result.to_json())


def test_a_feature_with_no_values_in_training_is_drift_when_values_arrive(rules):
    profile = kinds_profile(without_values(draw(300, 1, KINDS), "size"))
    size = feature_of(compare(profile, draw(100, 2, KINDS), "batch.csv", rules, KINDS), "size")
    assert size.values.p_value is None
    assert size.reference_mean is None
    assert size.missing.drifted


def test_without_missing_values_on_either_side_the_share_is_not_tested(rules):
    complete = draw(300, 1, KINDS).dropna()
    result = compare(kinds_profile(complete), complete, "batch.csv", rules, KINDS)
    assert {
        (feature.missing.test, feature.missing.min_effect_size, feature.missing.note)
        for feature in result.features
    } == {("fisher-exact", rules.min_missing_change, "no missing values on either side")}
    assert result.tests_run() == len(KINDS.features)
