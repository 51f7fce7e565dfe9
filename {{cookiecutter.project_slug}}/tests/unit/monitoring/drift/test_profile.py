import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.core.description import Numeric
from {{ cookiecutter.package_name }}.core.errors import ProjectError
from {{ cookiecutter.package_name }}.monitoring.drift.profile import (
    CategoricalProfile,
    NumericProfile,
    build_profile,
    load_profile,
    save_profile,
)
from {{ cookiecutter.package_name }}.project.schema import DATA

from tests.unit.monitoring.drift.normal_rows import KINDS, draw


def test_each_feature_is_profiled_as_the_description_declares_it(reference):
    assert list(reference.features) == DATA.feature_names
    for feature in DATA.features:
        expected = NumericProfile if isinstance(feature, Numeric) else CategoricalProfile
        assert isinstance(reference.features[feature.name], expected), feature.name


def test_a_small_training_set_is_kept_whole():
    frame = draw(300, seed=1, data=KINDS)
    profile = build_profile(frame, "train.csv", sample_size=5000, seed=0, data=KINDS)
    size = profile.features["size"]
    assert profile.rows == profile.sample_rows == 300
    assert size.sample == frame["size"].dropna().tolist()
    assert size.min <= size.quantiles["p50"] <= size.max
    assert size.mean == pytest.approx(frame["size"].mean())


def test_a_large_training_set_is_sampled_the_same_way_every_time():
    frame = draw(1000, seed=1, data=KINDS).fillna({"size": 50.0})
    first = build_profile(frame, "train.csv", sample_size=100, seed=7, data=KINDS)
    assert first.rows == 1000
    assert first.sample_rows == len(first.features["size"].sample) == 100
    assert first == build_profile(frame, "train.csv", sample_size=100, seed=7, data=KINDS)
    assert first != build_profile(frame, "train.csv", sample_size=100, seed=8, data=KINDS)


def test_categories_and_booleans_keep_their_counts_and_every_feature_its_missing_values():
    frame = pd.DataFrame(
        {
            "size": [1.0, np.nan, 3.0, 4.0],
            "colour": pd.array(["red", "blue", "red", pd.NA], dtype="string"),
            "member": pd.array([True, False, pd.NA, pd.NA], dtype="boolean"),
        }
    )
    profile = build_profile(frame, "train.csv", sample_size=10, seed=0, data=KINDS)
    assert profile.features["colour"] == CategoricalProfile(missing=1, counts={"blue": 1, "red": 2})
    assert profile.features["member"] == CategoricalProfile(
        missing=2, counts={"False": 1, "True": 1}
    )
    assert profile.features["size"].missing == 1
    assert profile.missing_share("member") == 0.5


def test_a_feature_with_no_values_is_profiled_and_saved(tmp_path):
    frame = draw(50, seed=1, data=KINDS).assign(size=np.nan, colour=pd.NA)
    profile = build_profile(frame, "train.csv", sample_size=10, seed=0, data=KINDS)
    assert profile.features["size"] == NumericProfile(missing=50)
    assert profile.features["colour"] == CategoricalProfile(missing=50, counts={})
    path = tmp_path / "reference.json"
    save_profile(profile, path)
    assert load_profile(path) == profile


def test_a_single_value_has_no_spread():
    frame = draw(3, seed=1, data=KINDS).assign(size=[np.nan, 4.0, np.nan])
    profile = build_profile(frame, "train.csv", sample_size=10, seed=0, data=KINDS)
    assert profile.features["size"].std is None
    assert profile.features["size"].mean == 4.0


def test_a_saved_profile_loads_back_equal(reference, tmp_path):
    path = tmp_path / "profile" / "reference.json"
    save_profile(reference, path)
    assert load_profile(path) == reference


def test_a_missing_profile_says_how_to_make_it(tmp_path):
    with pytest.raises(ProjectError, match=r"no reference profile; run `make repro`"):
        load_profile(tmp_path / "absent.json")


def test_a_damaged_profile_is_named(tmp_path):
    path = tmp_path / "reference.json"
    path.write_text('{"source": "train.csv"}')
    with pytest.raises(ProjectError, match=r"reference\.json: not a reference profile"):
        load_profile(path)
