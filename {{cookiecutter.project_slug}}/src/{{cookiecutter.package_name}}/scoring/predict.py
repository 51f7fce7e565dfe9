"""Score rows with a model, after checking them against the data description."""

import pandas as pd

from {{ cookiecutter.package_name }}.core.description import DataDescription
from {{ cookiecutter.package_name }}.core.tasks import Task
from {{ cookiecutter.package_name }}.core.validation import CSV_FIRST_ROW_LINE, check_schema
from {{ cookiecutter.package_name }}.project.schema import DATA


def check_inputs(
    frame: pd.DataFrame,
    source: str,
    first_row_line: int = CSV_FIRST_ROW_LINE,
    data: DataDescription = DATA,
) -> pd.DataFrame:
    """Return the rows coerced to the description, or raise an error naming what is wrong.

    Features are required; identifiers, the time, the target and ignored columns may be there.
    """
    return check_schema(frame, source, data.input_schema(), first_row_line)


def predict_frame(
    model, task: Task, inputs: pd.DataFrame, decision_threshold: float
) -> pd.DataFrame:
    """The output contract for each row (tasks.py), after the row's identifiers and time."""
    data = task.data
    scores = task.scores(model, data.model_frame(inputs))
    outputs = task.outputs(scores, decision_threshold).set_axis(inputs.index)
    kept = [name for name in data.passthrough if name in inputs.columns]
    return pd.concat([inputs[kept], outputs], axis=1)
