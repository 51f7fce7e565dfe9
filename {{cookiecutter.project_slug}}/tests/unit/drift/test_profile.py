import pytest

from {{ cookiecutter.package_name }}.drift.profile import (
    CategoricalProfile,
    NumericProfile,
    build_profile,
    load_profile,
    save_profile,
)
from {{ cookiecutter.package_name }}.errors import ProjectError
from {{ cookiecutter.package_name }}.schema import FeatureSpec
from tests.unit.drift.normal_rows import draw


def test_a_small_training_set_is_kept_whole(reference):
    mean_radius = reference.features["mean_radius"]
    assert isinstance(mean_radius, NumericProfile)
    assert reference.rows == reference.sample_rows == len(mean_radius.sample) == 500
    assert mean_radius.min <= mean_radius.quantiles["p50"] <= mean_radius.max
    assert mean_radius.mean == pytest.approx(50, abs=1)


def test_a_large_training_set_is_sampled_the_same_way_every_time():
    frame = draw(1000, seed=1)
    first = build_profile(frame, "train.csv", sample_size=100, seed=7)
    assert first.rows == 1000
    assert first.sample_rows == len(first.features["mean_area"].sample) == 100
    assert first == build_profile(frame, "train.csv", sample_size=100, seed=7)
    assert first != build_profile(frame, "train.csv", sample_size=100, seed=8)


def test_a_categorical_feature_keeps_its_counts():
    specs = {"colour": FeatureSpec(str, nullable=False, bounds={}, allowed=("red", "blue"))}
    frame = draw(3, seed=1).assign(colour=["red", "blue", "red"])[["colour"]]
    profile = build_profile(frame, "train.csv", sample_size=10, seed=0, specs=specs)
    assert profile.features["colour"] == CategoricalProfile(counts={"blue": 1, "red": 2})


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
