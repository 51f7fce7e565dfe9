"""Stage validate: check the raw data against the schema before anything uses it."""

import json
from pathlib import Path

import pandas as pd
import pandera.errors

from {{ cookiecutter.package_name }}.config import Params
from {{ cookiecutter.package_name }}.errors import DataValidationError
from {{ cookiecutter.package_name }}.schema import TRAINING_SCHEMA

MAX_REPORTED_CASES = 5


def read_csv_for_validation(path: Path) -> pd.DataFrame:
    """Read a CSV file, turning each way it can be unreadable into a message naming it."""
    if not path.exists():
        raise DataValidationError(
            f"{path}: file not found (is the data checked out? try `dvc pull`)"
        )
    if path.stat().st_size == 0:
        raise DataValidationError(f"{path}: the file is empty")
    try:
        return pd.read_csv(path)
    except pd.errors.EmptyDataError:
        raise DataValidationError(f"{path}: no columns found; is this a CSV file?") from None
    except pd.errors.ParserError as error:
        raise DataValidationError(f"{path}: not a well-formed CSV file: {error}") from None
    except UnicodeDecodeError:
        raise DataValidationError(
            f"{path}: not a text CSV file (cannot decode it as UTF-8)"
        ) from None


def validate_frame(frame: pd.DataFrame, source: Path, min_rows: int) -> pd.DataFrame:
    """Return the frame coerced to the schema, or raise one error listing every failed check."""
    if len(frame) < min_rows:
        raise DataValidationError(
            f"{source}: {len(frame)} rows, fewer than the {min_rows} that params.yaml "
            "(data.min_rows) requires"
        )
    try:
        return TRAINING_SCHEMA.validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as errors:
        raise DataValidationError(describe_failures(errors.failure_cases, source)) from None


def describe_failures(failure_cases: pd.DataFrame, source: Path) -> str:
    lines = [f"{source}: the data does not match the schema"]
    for (column, check), cases in failure_cases.groupby(
        ["column", "check"], dropna=False, sort=False
    ):
        where = "the table" if pd.isna(column) else f"column {column!r}"
        examples = ", ".join(
            _describe_case(row) for row in cases.head(MAX_REPORTED_CASES).itertuples()
        )
        more = (
            f" (and {len(cases) - MAX_REPORTED_CASES} more)"
            if len(cases) > MAX_REPORTED_CASES
            else ""
        )
        lines.append(f"  - {where} failed {check}: {examples}{more}")
    return "\n".join(lines)


def _describe_case(case) -> str:
    if pd.isna(case.index):
        return repr(case.failure_case)
    # Row numbers as a spreadsheet shows them: the header is line 1.
    return f"line {int(case.index) + 2}: {case.failure_case!r}"


def run(params: Params) -> dict:
    frame = read_csv_for_validation(params.paths.raw_data)
    validated = validate_frame(frame, params.paths.raw_data, params.data.min_rows)
    report = {
        "source": str(params.paths.raw_data),
        "rows": len(validated),
        "columns": list(validated.columns),
        "status": "passed",
    }
    params.paths.validation_report.parent.mkdir(parents=True, exist_ok=True)
    params.paths.validation_report.write_text(json.dumps(report, indent=2) + "\n")
    return report
