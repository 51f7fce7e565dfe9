"""Batches to check for drift: read a CSV file or a prediction log, or make one by shifting."""

import json
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from {{ cookiecutter.package_name }}.errors import DataValidationError, ProjectError
from {{ cookiecutter.package_name }}.pipeline.validate import (
    CSV_FIRST_ROW_LINE,
    check_schema,
    read_csv_for_validation,
)
from {{ cookiecutter.package_name }}.schema import FEATURE_SCHEMA, FEATURES, FeatureSpec

# The feature schema, keeping only its columns: a batch may also hold the target, predictions
# or ids, which are not the drift check's concern.
BATCH_SCHEMA = pa.DataFrameSchema(FEATURE_SCHEMA.columns, strict="filter")
_SNIFFED_BYTES = 1024


def read_batch(path: Path) -> pd.DataFrame:
    """Return a batch's features in schema order, from a CSV file or a JSON-lines log.

    A file whose first character is `{` is read as a prediction log: one JSON object per line,
    each with an `inputs` object holding the feature values.
    """
    if path.is_file() and _starts_with_brace(path):
        frame, first_row_line = _read_prediction_log(path), 1
    else:
        frame, first_row_line = read_csv_for_validation(path), CSV_FIRST_ROW_LINE
    return check_schema(frame, path, BATCH_SCHEMA, first_row_line)[list(FEATURES)]


def _starts_with_brace(path: Path) -> bool:
    with path.open("rb") as stream:
        return stream.read(_SNIFFED_BYTES).lstrip().startswith(b"{")


def _read_prediction_log(path: Path) -> pd.DataFrame:
    inputs, line_numbers = [], []
    try:
        with path.open(encoding="utf-8") as stream:
            for number, line in enumerate(stream, start=1):
                if line.strip():
                    inputs.append(_inputs_of(line, path, number))
                    line_numbers.append(number)
    except UnicodeDecodeError:
        raise DataValidationError(f"{path}: not a text file (cannot decode it as UTF-8)") from None
    # Row labels are line numbers less one, so messages can name the lines.
    return pd.DataFrame.from_records(inputs, index=pd.Index(line_numbers) - 1)


def _inputs_of(line: str, path: Path, number: int) -> dict:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        raise DataValidationError(
            f"{path}: line {number} is not JSON ({error.msg}); a prediction log holds one JSON "
            "object per line"
        ) from None
    inputs = record.get("inputs") if isinstance(record, dict) else None
    if not isinstance(inputs, dict):
        raise DataValidationError(
            f"{path}: line {number} has no `inputs` object holding the feature values"
        )
    return inputs


def shift_features(
    frame: pd.DataFrame, features: Iterable[str], shift: float, specs: dict[str, FeatureSpec]
) -> pd.DataFrame:
    """Move each named feature by `shift` of its standard deviation, within the schema's bounds."""
    shifted = frame.copy()
    for name in features:
        if name not in specs:
            raise ProjectError(f"unknown feature {name!r}; the features are: {', '.join(specs)}")
        if specs[name].categorical:
            raise ProjectError(f"{name!r} is categorical; only numeric features can be shifted")
        lower, upper = _limits(specs[name].bounds)
        shifted[name] = (frame[name] + shift * frame[name].std()).clip(lower, upper)
    return shifted


def _limits(bounds: dict[str, float]) -> tuple[float | None, float | None]:
    lower = bounds.get("ge", np.nextafter(bounds["gt"], np.inf) if "gt" in bounds else None)
    upper = bounds.get("le", np.nextafter(bounds["lt"], -np.inf) if "lt" in bounds else None)
    return lower, upper
