import dataclasses

import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.core.description import DataDescription, Target
from {{ cookiecutter.package_name }}.core.errors import DataValidationError
from {{ cookiecutter.package_name }}.core.validation import read_csv_for_validation
from {{ cookiecutter.package_name }}.pipeline.validate import MIN_ROWS_PER_LABEL, validate_frame
from {{ cookiecutter.package_name }}.project.schema import DATA

from tests.synthetic import synthetic_frame
from tests.unit.descriptions import every_kind, refused


def check(frame, tmp_path, min_rows=1, data: DataDescription = DATA):
    """Validate the rows as the stage does: written to a CSV file, and read back."""
    path = tmp_path / "raw.csv"
    frame.to_csv(path, index=False)
    return validate_frame(read_csv_for_validation(path, data), path, min_rows, data)


def problems(error: pytest.ExceptionInfo) -> list[str]:
    """The message's lines that each name one problem."""
    return [line for line in str(error.value).splitlines() if line.startswith("  - ")]


def test_valid_rows_pass(valid_frame, tmp_path):
    assert len(check(valid_frame, tmp_path)) == len(valid_frame)


def test_a_missing_column_is_named(valid_frame, tmp_path):
    name = DATA.feature_names[0]
    with pytest.raises(DataValidationError) as error:
        check(valid_frame.drop(columns=[name]), tmp_path)
    assert str(error.value).startswith(f"{tmp_path / 'raw.csv'}: ")
    assert problems(error) == [
        f"  - the table failed column_in_dataframe (columns missing): '{name}'"
    ]


def test_a_refused_value_names_its_column_and_line(valid_frame, tmp_path):
    name = DATA.feature_names[-1]
    valid_frame[name] = valid_frame[name].astype(object)
    valid_frame.loc[4, name] = refused(DATA, name)
    with pytest.raises(DataValidationError) as error:
        check(valid_frame, tmp_path)
    (problem,) = problems(error)
    assert problem.startswith(f"  - column '{name}' failed ")
    assert problem.endswith(f"line 6: {refused(DATA, name)!r}")


def test_the_message_says_what_to_do_next(valid_frame, tmp_path):
    name = DATA.target.name
    valid_frame[name] = valid_frame[name].astype(object)
    valid_frame.loc[0, name] = refused(DATA, name)
    with pytest.raises(DataValidationError, match=r"\nFix the data; .* change src/.*/schema\.py"):
        check(valid_frame, tmp_path)


def test_repeated_rows_are_named_once_each(valid_frame, tmp_path):
    repeated = pd.concat([valid_frame, valid_frame.iloc[[3, 7]]], ignore_index=True)
    lines = [len(valid_frame) + 2, len(valid_frame) + 3]
    with pytest.raises(DataValidationError) as error:
        check(repeated, tmp_path)
    assert problems(error) == [
        "  - the table failed multiple_fields_uniqueness (rows that repeat an earlier row): "
        f"line {lines[0]}, line {lines[1]}"
    ]


def test_an_unexpected_column_is_rejected(valid_frame, tmp_path):
    with pytest.raises(DataValidationError, match="no_such_column"):
        check(valid_frame.assign(no_such_column="x"), tmp_path)


def test_too_few_rows_name_the_parameter(valid_frame, tmp_path):
    with pytest.raises(DataValidationError, match=r"10 rows, fewer than the 11 .*data\.min_rows"):
        check(valid_frame.head(10), tmp_path, min_rows=11)


# Kinds of column the project's own table may not have, on a description of every kind.


def test_a_value_of_the_wrong_type_names_the_column_and_line_once(tmp_path):
    data = every_kind()
    frame = synthetic_frame(30, data=data).astype({"size": object})
    frame.loc[4, "size"] = "large"
    with pytest.raises(DataValidationError) as error:
        check(frame, tmp_path, data=data)
    assert problems(error) == [
        "  - column 'size' failed coerce_dtype('float64') (values of the wrong type): "
        "line 6: 'large'"
    ]


def test_a_value_out_of_range_names_the_bound(tmp_path):
    data = every_kind()
    frame = synthetic_frame(30, data=data)
    frame.loc[[1, 2], "size"] = -3.0
    with pytest.raises(DataValidationError) as error:
        check(frame, tmp_path, data=data)
    assert problems(error) == [
        "  - column 'size' failed greater_than_or_equal_to(0): line 3: -3.0, line 4: -3.0"
    ]


def test_an_unseen_category_is_named(tmp_path):
    data = every_kind()
    frame = synthetic_frame(30, data=data)
    frame.loc[7, "colour"] = "purple"
    with pytest.raises(DataValidationError) as error:
        check(frame, tmp_path, data=data)
    assert problems(error) == [
        "  - column 'colour' failed isin(['red', 'green', 'blue']): line 9: 'purple'"
    ]


def test_empty_cells_are_refused_where_the_column_is_not_nullable(tmp_path):
    data = every_kind()
    frame = synthetic_frame(30, data=data)
    frame.loc[3, ["size", "weight", "colour", "member"]] = None
    with pytest.raises(DataValidationError) as error:
        check(frame, tmp_path, data=data)
    assert problems(error) == ["  - column 'size' failed not_nullable (empty cells): line 5"]


def test_a_third_label_in_a_binary_target_is_named(tmp_path):
    data = every_kind("binary")
    frame = synthetic_frame(30, data=data)
    frame.loc[2, "outcome"] = "perhaps"
    with pytest.raises(DataValidationError) as error:
        check(frame, tmp_path, data=data)
    assert problems(error) == ["  - column 'outcome' failed isin(['yes', 'no']): line 4: 'perhaps'"]


def test_a_number_label_outside_the_declared_ones_is_named(tmp_path):
    data = dataclasses.replace(every_kind(), target=Target("class", labels=(0, 1), positive=1))
    frame = synthetic_frame(30, data=data)
    frame.loc[2, "class"] = 2
    with pytest.raises(DataValidationError) as error:
        check(frame, tmp_path, data=data)
    assert problems(error) == ["  - column 'class' failed isin([0, 1]): line 4: 2"]


def test_a_regression_target_that_is_not_a_number_is_named(tmp_path):
    data = every_kind("regression")
    frame = synthetic_frame(30, data=data).astype({"amount": object})
    frame.loc[5, "amount"] = "high"
    with pytest.raises(DataValidationError) as error:
        check(frame, tmp_path, data=data)
    assert problems(error) == [
        "  - column 'amount' failed coerce_dtype('float64') (values of the wrong type): "
        "line 7: 'high'"
    ]


def test_a_label_with_too_few_rows_is_named(tmp_path):
    data = every_kind("multiclass")
    frame = synthetic_frame(30, data=data)
    rare = data.target.labels[-1]
    keep = (frame["grade"] != rare) | (frame.index == frame.index[frame["grade"] == rare][0])
    with pytest.raises(DataValidationError) as error:
        check(frame[keep], tmp_path, data=data)
    assert f"column 'grade' has fewer than {MIN_ROWS_PER_LABEL} rows of the labels " in str(
        error.value
    )
    assert f"{rare!r}: 1; add rows, or remove the labels from the Target in src/" in str(
        error.value
    )
