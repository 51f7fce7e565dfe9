import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.errors import DataValidationError
from {{ cookiecutter.package_name }}.pipeline.validate import (
    check_schema,
    read_csv_for_validation,
    validate_frame,
)
from {{ cookiecutter.package_name }}.schema import FEATURES, TARGET, TRAINING_SCHEMA


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
    assert "the table failed column_in_dataframe (columns missing): 'mean_area'" in str(error.value)


def test_a_wrong_type_names_the_column_and_line_once(valid_frame, tmp_path):
    valid_frame[FEATURES[3]] = valid_frame[FEATURES[3]].astype(object)
    valid_frame.loc[4, FEATURES[3]] = "large"
    with pytest.raises(DataValidationError) as error:
        check(valid_frame, tmp_path)
    (problem,) = [line for line in str(error.value).splitlines() if line.startswith("  - ")]
    assert problem == (
        f"  - column '{FEATURES[3]}' failed coerce_dtype('float64') (values of the wrong type): "
        "line 6: 'large'"
    )


def test_the_message_says_what_to_do_next(valid_frame, tmp_path):
    valid_frame.loc[0, "mean_area"] = -1.0
    with pytest.raises(DataValidationError, match=r"\nFix the data; .* change src/.*/schema\.py"):
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
    with pytest.raises(
        DataValidationError, match=r"'mean_texture' failed not_nullable \(empty cells\)"
    ):
        check(valid_frame, tmp_path)


def test_repeated_rows_are_named_once_each(valid_frame, tmp_path):
    repeated = pd.concat([valid_frame, valid_frame.iloc[[3, 7]]], ignore_index=True)
    with pytest.raises(DataValidationError) as error:
        check(repeated, tmp_path)
    assert str(error.value).splitlines()[1] == (
        "  - the table failed multiple_fields_uniqueness (rows whose features repeat an earlier "
        "row): line 152, line 153"
    )


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


def test_a_binary_file_is_named(tmp_path):
    path = tmp_path / "raw.csv"
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(DataValidationError, match=r"raw\.csv: not a text CSV file"):
        read_csv_for_validation(path)


def test_a_text_file_that_is_not_csv_is_named(tmp_path):
    path = tmp_path / "raw.csv"
    path.write_text('{"rows": [1, 2, 3]}\n')
    with pytest.raises(DataValidationError, match=r"raw\.csv: none of the schema's columns"):
        check_schema(read_csv_for_validation(path), path, TRAINING_SCHEMA)


def test_a_truncated_file_is_named_as_such(valid_frame, tmp_path):
    path = tmp_path / "raw.csv"
    text = valid_frame.to_csv(index=False)
    path.write_text(text[: len(text) - 200])
    with pytest.raises(
        DataValidationError, match=r"raw\.csv: line 151, the last, has \d+ of the 31 "
    ):
        read_csv_for_validation(path)


def test_a_last_line_without_a_newline_is_not_truncation(valid_frame, tmp_path):
    path = tmp_path / "raw.csv"
    path.write_text(valid_frame.to_csv(index=False).rstrip("\n"))
    assert len(read_csv_for_validation(path)) == len(valid_frame)


def test_a_missing_file_suggests_dvc_pull(tmp_path):
    with pytest.raises(DataValidationError, match="dvc pull"):
        read_csv_for_validation(tmp_path / "absent.csv")
