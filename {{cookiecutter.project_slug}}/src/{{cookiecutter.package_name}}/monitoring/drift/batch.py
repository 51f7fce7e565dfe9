"""Batches to check for drift: read a CSV file or a prediction log, or make one by shifting."""

import json
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from {{ cookiecutter.package_name }}.core.description import DataDescription, Numeric
from {{ cookiecutter.package_name }}.core.errors import DataValidationError, ProjectError
from {{ cookiecutter.package_name }}.core.validation import (
    CSV_FIRST_ROW_LINE,
    check_schema,
    read_csv_for_validation,
)
from {{ cookiecutter.package_name }}.project.schema import DATA

_SNIFFED_BYTES = 1024


def read_batch(path: Path) -> pd.DataFrame:
    """Return a batch's features in the description's order, from a CSV file or a prediction
    log, checked against the description; other columns (identifiers, the target,
    predictions) are left out.

    A file whose first character is `{` is read as the service's prediction log: one JSON
    object per line, whose `inputs` holds the rows scored, an array of row objects (or one
    row object).
    """
    if path.is_file() and _starts_with_brace(path):
        frame, first_row_line = _read_prediction_log(path), 1
    else:
        frame, first_row_line = read_csv_for_validation(path), CSV_FIRST_ROW_LINE
    checked = check_schema(frame, path, DATA.features_schema(), first_row_line)
    return checked[DATA.feature_names].reset_index(drop=True)


def _starts_with_brace(path: Path) -> bool:
    with path.open("rb") as stream:
        return stream.read(_SNIFFED_BYTES).lstrip().startswith(b"{")


def _read_prediction_log(path: Path) -> pd.DataFrame:
    rows, line_numbers = [], []
    try:
        with path.open(encoding="utf-8") as stream:
            for number, line in enumerate(stream, start=1):
                if line.strip():
                    inputs = _rows_of(line, path, number)
                    rows += inputs
                    line_numbers += [number] * len(inputs)
    except UnicodeDecodeError:
        raise DataValidationError(f"{path}: not a text file (cannot decode it as UTF-8)") from None
    # Each row is labelled with its line number less one, so messages can name the lines.
    return pd.DataFrame.from_records(rows, index=pd.Index(line_numbers, dtype=int) - 1)


def _rows_of(line: str, path: Path, number: int) -> list[dict]:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        raise DataValidationError(
            f"{path}: line {number} is not JSON ({error.msg}); a prediction log holds one JSON "
            "object per line"
        ) from None
    inputs = record.get("inputs") if isinstance(record, dict) else None
    rows = [inputs] if isinstance(inputs, dict) else inputs
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise DataValidationError(
            f"{path}: line {number} has no `inputs` holding the rows scored: an array of row "
            "objects (or one row object) with the feature values"
        )
    return rows


def shift_features(
    frame: pd.DataFrame, features: Iterable[str], shift: float, data: DataDescription = DATA
) -> pd.DataFrame:
    """Move each named numeric feature by `shift` of its standard deviation, within the bounds
    the description declares; missing values stay missing."""
    shifted = frame.copy()
    for name in features:
        if name not in data.feature_names:
            raise ProjectError(
                f"unknown feature {name!r}; the features are: {', '.join(data.feature_names)}"
            )
        feature = data.feature(name)
        if not isinstance(feature, Numeric):
            raise ProjectError(f"{name!r} is {feature.kind}; only numeric features can be shifted")
        shifted[name] = (frame[name] + shift * frame[name].std()).clip(feature.ge, feature.le)
    return shifted
