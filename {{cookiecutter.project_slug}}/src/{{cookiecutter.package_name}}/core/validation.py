"""The checks data passes before anything uses it: a CSV file read with the description's
types, and a frame held to a pandera schema, with one message naming every fault.

The validate stage checks the raw data with them; prediction, batch scoring and the drift check
check their inputs with them too.
"""

import csv
from pathlib import Path

import pandas as pd
import pandera.errors
import pandera.pandas as pa

from {{ cookiecutter.package_name }}.core.description import DESCRIPTION_FILE, DataDescription
from {{ cookiecutter.package_name }}.core.errors import DataValidationError
from {{ cookiecutter.package_name }}.project.schema import DATA

MAX_REPORTED_CASES = 5
# Row numbers as a spreadsheet shows a CSV file: the header is line 1.
CSV_FIRST_ROW_LINE = 2
# Enough of the file's end to hold its last line.
_TAIL_BYTES = 1 << 16
_SNIFFED_BYTES = 8192
# pandera's check names, glossed for people who never read its documentation.
_GLOSSES = {
    "column_in_dataframe": "columns missing",
    "column_in_schema": "columns the schema does not list",
    "coerce_dtype": "values of the wrong type",
    "not_nullable": "empty cells",
    "multiple_fields_uniqueness": "rows that repeat an earlier row",
}
_DUPLICATES = "multiple_fields_uniqueness"


def read_csv_for_validation(path: Path, data: DataDescription = DATA) -> pd.DataFrame:
    """Read a CSV file with the description's types, turning each way it can be unreadable
    into a message naming it."""
    if not path.exists():
        raise DataValidationError(
            f"{path}: file not found (is the data checked out? try `dvc pull`)"
        )
    if path.stat().st_size == 0:
        raise DataValidationError(f"{path}: the file is empty")
    with path.open("rb") as stream:
        # Text never holds a NUL byte; spreadsheets, archives and images almost always do.
        if b"\0" in stream.read(_SNIFFED_BYTES):
            raise DataValidationError(
                f"{path}: not a text CSV file (it holds binary data); export the data as CSV"
            )
    try:
        frame = pd.read_csv(path, dtype=data.read_dtypes())
    except pd.errors.EmptyDataError:
        raise DataValidationError(f"{path}: no columns found; is this a CSV file?") from None
    except pd.errors.ParserError as error:
        raise DataValidationError(f"{path}: not a well-formed CSV file: {error}") from None
    except UnicodeDecodeError:
        raise DataValidationError(
            f"{path}: not a text CSV file (cannot decode it as UTF-8)"
        ) from None
    _check_last_line_is_complete(path, frame)
    return frame


def _check_last_line_is_complete(path: Path, frame: pd.DataFrame) -> None:
    # pandas pads a short last line with empty cells; say what that most likely means.
    with path.open("rb") as stream:
        stream.seek(max(0, path.stat().st_size - _TAIL_BYTES))
        last_line = stream.read().rstrip(b"\r\n").rsplit(b"\n", 1)[-1]
    fields = len(next(csv.reader([last_line.decode(errors="replace")]), []))
    if fields < len(frame.columns):
        raise DataValidationError(
            f"{path}: line {len(frame) + CSV_FIRST_ROW_LINE - 1}, the last, has {fields} of the "
            f"{len(frame.columns)} fields in the header: the file looks truncated; "
            "copy or export it again (for tracked data: `dvc checkout`)"
        )


def check_schema(
    frame: pd.DataFrame,
    source: Path | str,
    schema: pa.DataFrameSchema,
    first_row_line: int = CSV_FIRST_ROW_LINE,
) -> pd.DataFrame:
    """Return the frame coerced to the schema, or raise one error listing every failed check.

    `first_row_line` is the line of the file that holds the frame's row 0, for the message.
    """
    if not set(frame.columns) & set(schema.columns):
        header = ",".join(str(column) for column in frame.columns)
        raise DataValidationError(
            f"{source}: none of the schema's columns is in the header ({header[:80]!r}); "
            "is this the right file, and a CSV file with a header line?"
        )
    try:
        return schema.validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as errors:
        raise DataValidationError(
            describe_failures(errors.failure_cases, source, first_row_line)
        ) from None


def describe_failures(
    failure_cases: pd.DataFrame, source: Path | str, first_row_line: int = CSV_FIRST_ROW_LINE
) -> str:
    lines = [f"{source}: the data does not match the schema"]
    for (column, check), cases in _distinct_problems(failure_cases).groupby(
        ["column", "check"], dropna=False, sort=False
    ):
        where = "the table" if pd.isna(column) else f"column {column!r}"
        gloss = next((text for name, text in _GLOSSES.items() if check.startswith(name)), None)
        failed = f"{check} ({gloss})" if gloss else check
        examples = ", ".join(
            _describe_case(case, first_row_line)
            for case in cases.head(MAX_REPORTED_CASES).itertuples()
        )
        more = (
            f" (and {len(cases) - MAX_REPORTED_CASES} more)"
            if len(cases) > MAX_REPORTED_CASES
            else ""
        )
        lines.append(f"  - {where} failed {failed}: {examples}{more}")
    lines.append(
        "Fix the data; if the data is right and the schema is out of date, change "
        f"{DESCRIPTION_FILE}."
    )
    return "\n".join(lines)


def _distinct_problems(failure_cases: pd.DataFrame) -> pd.DataFrame:
    # A value of the wrong type also fails the column's dtype and range checks; only the
    # first of these says what is wrong.
    wrong_type = failure_cases["check"].str.startswith("coerce_dtype")
    untyped_columns = set(failure_cases.loc[wrong_type, "column"])
    consequence = failure_cases["column"].isin(untyped_columns) & ~wrong_type
    # pandera reports a repeated row once per column; it is one problem of the table.
    duplicate = failure_cases["check"] == _DUPLICATES
    repeated_rows = (
        failure_cases[duplicate]
        .drop_duplicates("index")
        .assign(column=float("nan"), failure_case=None)
    )
    return pd.concat([failure_cases[~consequence & ~duplicate], repeated_rows])


def _describe_case(case, first_row_line: int) -> str:
    if pd.isna(case.index):
        return repr(case.failure_case)
    line = f"line {int(case.index) + first_row_line}"
    # An empty cell is its own failure ("empty cells"): its value says nothing more.
    return line if pd.isna(case.failure_case) else f"{line}: {case.failure_case!r}"
