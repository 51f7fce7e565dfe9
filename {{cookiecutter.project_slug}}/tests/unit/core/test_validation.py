import pytest

from {{ cookiecutter.package_name }}.core.errors import DataValidationError
from {{ cookiecutter.package_name }}.core.validation import check_schema, read_csv_for_validation
from {{ cookiecutter.package_name }}.project.schema import DATA


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
        check_schema(read_csv_for_validation(path), path, DATA.training_schema())


def test_a_truncated_file_is_named_as_such(valid_frame, tmp_path):
    path = tmp_path / "raw.csv"
    text = valid_frame.to_csv(index=False)
    # The last line cut after its first field.
    last_line_start = text.rstrip("\n").rindex("\n") + 1
    path.write_text(text[: text.index(",", last_line_start)])
    columns = len(valid_frame.columns)
    with pytest.raises(
        DataValidationError,
        match=rf"raw\.csv: line {len(valid_frame) + 1}, the last, has 1 of the {columns} ",
    ):
        read_csv_for_validation(path)


def test_a_last_line_without_a_newline_is_not_truncation(valid_frame, tmp_path):
    path = tmp_path / "raw.csv"
    path.write_text(valid_frame.to_csv(index=False).rstrip("\n"))
    assert len(read_csv_for_validation(path)) == len(valid_frame)


def test_a_missing_file_suggests_dvc_pull(tmp_path):
    with pytest.raises(DataValidationError, match="dvc pull"):
        read_csv_for_validation(tmp_path / "absent.csv")
