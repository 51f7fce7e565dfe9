import json

import pytest

from {{ cookiecutter.package_name }}.drift.batch import read_batch, shift_features
from {{ cookiecutter.package_name }}.errors import DataValidationError, ProjectError
from {{ cookiecutter.package_name }}.schema import FEATURES, TARGET, FeatureSpec, feature_specs


def write_log(path, frame, **extra) -> None:
    lines = [
        json.dumps({"inputs": row, "prediction": 1, **extra})
        for row in frame[list(FEATURES)].to_dict(orient="records")
    ]
    path.write_text("\n".join(lines) + "\n")


def test_a_csv_batch_keeps_only_the_features_in_schema_order(valid_frame, tmp_path):
    path = tmp_path / "batch.csv"
    valid_frame.assign(probability=0.5)[[TARGET, "probability", *reversed(FEATURES)]].to_csv(
        path, index=False
    )
    batch = read_batch(path)
    assert list(batch.columns) == list(FEATURES)
    assert batch.equals(valid_frame[list(FEATURES)])


def test_a_prediction_log_gives_the_same_batch(valid_frame, tmp_path):
    path = tmp_path / "predictions.log"
    write_log(path, valid_frame, model_version="3")
    assert read_batch(path).reset_index(drop=True).equals(valid_frame[list(FEATURES)])


def test_a_bad_value_in_the_log_names_its_line(valid_frame, tmp_path):
    valid_frame.loc[2, "mean_area"] = -1.0
    path = tmp_path / "predictions.log"
    write_log(path, valid_frame)
    with pytest.raises(DataValidationError, match=r"column 'mean_area' failed .*line 3: -1\.0"):
        read_batch(path)


def test_a_log_line_that_is_not_json_is_named(valid_frame, tmp_path):
    path = tmp_path / "predictions.log"
    write_log(path, valid_frame.head(3))
    path.write_text(path.read_text() + '{"inputs": {"mean_radius": 1')
    with pytest.raises(DataValidationError, match=r"predictions\.log: line 4 is not JSON"):
        read_batch(path)


def test_a_log_line_without_inputs_is_named(tmp_path):
    path = tmp_path / "predictions.log"
    path.write_text('{"prediction": 1}\n')
    with pytest.raises(DataValidationError, match=r"line 1 has no `inputs` object"):
        read_batch(path)


def test_a_missing_batch_is_named(tmp_path):
    with pytest.raises(DataValidationError, match=r"absent\.csv: file not found"):
        read_batch(tmp_path / "absent.csv")


def test_a_shift_moves_only_the_named_features_by_standard_deviations(valid_frame):
    shifted = shift_features(valid_frame, ["mean_radius"], 0.5, feature_specs())
    moved = shifted["mean_radius"] - valid_frame["mean_radius"]
    assert moved.round(9).eq(round(0.5 * valid_frame["mean_radius"].std(), 9)).all()
    assert shifted.drop(columns=["mean_radius"]).equals(valid_frame.drop(columns=["mean_radius"]))


def test_a_shift_stays_within_the_schema(valid_frame):
    shifted = shift_features(valid_frame, ["mean_radius"], -10, feature_specs())
    assert shifted["mean_radius"].min() == 0


def test_a_strict_bound_is_kept_strict(valid_frame):
    specs = {"mean_radius": FeatureSpec(float, nullable=False, bounds={"gt": 0}, allowed=None)}
    assert shift_features(valid_frame, ["mean_radius"], -10, specs)["mean_radius"].min() > 0


def test_an_unknown_feature_lists_the_known_ones(valid_frame):
    with pytest.raises(ProjectError, match=r"unknown feature 'radius'; the features are: mean_r"):
        shift_features(valid_frame, ["radius"], 0.5, feature_specs())


def test_a_categorical_feature_cannot_be_shifted(valid_frame):
    specs = {"mean_radius": FeatureSpec(str, nullable=False, bounds={}, allowed=("a", "b"))}
    with pytest.raises(ProjectError, match="'mean_radius' is categorical"):
        shift_features(valid_frame, ["mean_radius"], 0.5, specs)
