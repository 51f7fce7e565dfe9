import pytest

from {{ cookiecutter.package_name }}.errors import DataValidationError
from {{ cookiecutter.package_name }}.pipeline.validate import read_csv_for_validation, validate_frame
from {{ cookiecutter.package_name }}.schema import FEATURES, TARGET


def check(frame, tmp_path, min_rows=100):
    path = tmp_path / "raw.csv"
    frame.to_csv(path, index=False)
    return validate_frame(read_csv_for_validation(path), path, min_rows)


def test_valid_rows_pass(valid_frame, tmp_path):
    assert len(check(valid_frame, tmp_path)) == len(valid_frame)


def test_a_missing_column_is_named(valid_frame, tmp_path):
    with pytest.raises(DataValidationError, match="mean_area") as error:
        check(valid_frame.drop(columns=["mean_area"]), tmp_path)
    assert "raw.csv" in str(error.value)


def test_a_wrong_type_names_the_column_and_line(valid_frame, tmp_path):
    valid_frame[FEATURES[3]] = valid_frame[FEATURES[3]].astype(object)
    valid_frame.loc[4, FEATURES[3]] = "large"
    with pytest.raises(DataValidationError, match=rf"column '{FEATURES[3]}'.*line 6: 'large'"):
        check(valid_frame, tmp_path)


def test_values_out_of_range_name_the_check(valid_frame, tmp_path):
    valid_frame.loc[[1, 2], "worst_radius"] = -3.0
    with pytest.raises(DataValidationError, match=r"column 'worst_radius' failed greater_than"):
        check(valid_frame, tmp_path)


def test_a_target_outside_its_classes_is_rejected(valid_frame, tmp_path):
    valid_frame.loc[0, TARGET] = 7
    with pytest.raises(DataValidationError, match=rf"column '{TARGET}' failed isin"):
        check(valid_frame, tmp_path)


def test_missing_values_are_rejected(valid_frame, tmp_path):
    valid_frame.loc[3, "mean_texture"] = None
    with pytest.raises(DataValidationError, match="column 'mean_texture' failed not_nullable"):
        check(valid_frame, tmp_path)


def test_an_unexpected_column_is_rejected(valid_frame, tmp_path):
    valid_frame["patient_name"] = "x"
    with pytest.raises(DataValidationError, match="patient_name"):
        check(valid_frame, tmp_path)


def test_too_few_rows_name_the_parameter(valid_frame, tmp_path):
    with pytest.raises(DataValidationError, match=r"10 rows, fewer than the 100 .*data\.min_rows"):
        check(valid_frame.head(10), tmp_path)


def test_an_empty_file_is_named(tmp_path):
    path = tmp_path / "raw.csv"
    path.write_text("")
    with pytest.raises(DataValidationError, match=r"raw\.csv: the file is empty"):
        read_csv_for_validation(path)


def test_a_file_that_is_not_csv_is_named(tmp_path):
    path = tmp_path / "raw.csv"
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(DataValidationError, match=r"raw\.csv: not a"):
        read_csv_for_validation(path)


def test_a_truncated_file_is_caught(valid_frame, tmp_path):
    path = tmp_path / "raw.csv"
    text = valid_frame.to_csv(index=False)
    path.write_text(text[: len(text) - 200])
    with pytest.raises(DataValidationError, match="not_nullable"):
        validate_frame(read_csv_for_validation(path), path, min_rows=100)


def test_a_missing_file_suggests_dvc_pull(tmp_path):
    with pytest.raises(DataValidationError, match="dvc pull"):
        read_csv_for_validation(tmp_path / "absent.csv")
