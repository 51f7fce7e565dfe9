"""Stage validate: check the raw data against the schema before anything uses it."""

import json
from pathlib import Path

import pandas as pd

from {{ cookiecutter.package_name }}.core.config import Params
from {{ cookiecutter.package_name }}.core.description import DESCRIPTION_FILE, DataDescription
from {{ cookiecutter.package_name }}.core.errors import DataValidationError
from {{ cookiecutter.package_name }}.core.validation import check_schema, read_csv_for_validation
from {{ cookiecutter.package_name }}.project.schema import DATA

# Each label needs a row in the training split and one in the test split.
MIN_ROWS_PER_LABEL = 2


def validate_frame(
    frame: pd.DataFrame, source: Path, min_rows: int, data: DataDescription = DATA
) -> pd.DataFrame:
    """Return the training data coerced to the schema, or raise one error listing every fault."""
    if len(frame) < min_rows:
        raise DataValidationError(
            f"{source}: {len(frame)} rows, fewer than the {min_rows} that params.yaml "
            "(data.min_rows) requires"
        )
    validated = check_schema(frame, source, data.training_schema())
    _check_every_label_appears(validated, source, data)
    return validated


def _check_every_label_appears(frame: pd.DataFrame, source: Path, data: DataDescription) -> None:
    # A model cannot learn a class it never sees, and a split needs two rows of each.
    labels = data.target.labels
    if labels is None:
        return
    counts = frame[data.target.name].value_counts()
    rare = [label for label in labels if counts.get(label, 0) < MIN_ROWS_PER_LABEL]
    if rare:
        found = ", ".join(f"{label!r}: {counts.get(label, 0)}" for label in rare)
        raise DataValidationError(
            f"{source}: column {data.target.name!r} has fewer than {MIN_ROWS_PER_LABEL} rows of "
            f"the labels {found}; add rows, or remove the labels from the Target in "
            f"{DESCRIPTION_FILE}"
        )


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
