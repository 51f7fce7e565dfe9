"""Stage prepare: split the validated raw data into train and test sets."""

import pandas as pd
from sklearn.model_selection import train_test_split

from {{ cookiecutter.package_name }}.core.config import Params
from {{ cookiecutter.package_name }}.core.data import read_table, write_table
from {{ cookiecutter.package_name }}.core.description import DESCRIPTION_FILE, DataDescription
from {{ cookiecutter.package_name }}.core.errors import ConfigError
from {{ cookiecutter.package_name }}.core.tasks import TASKS
from {{ cookiecutter.package_name }}.project.schema import DATA


def split_strategy(params: Params, data: DataDescription = DATA) -> str:
    """The strategy in use: `auto` resolved from the description and the task."""
    strategy = params.split.strategy
    if strategy == "time" and data.time is None:
        raise ConfigError(
            f"params.yaml split.strategy is time, but {DESCRIPTION_FILE} declares no time "
            "column (DataDescription(time=...)); declare one, or set split.strategy: auto"
        )
    if strategy == "stratified" and not TASKS[params.task.kind].stratify:
        raise ConfigError(
            "params.yaml split.strategy is stratified, which needs classes; "
            f"a {params.task.kind} task splits at random or by time"
        )
    if strategy != "auto":
        return strategy
    if data.time is not None:
        return "time"
    return "stratified" if TASKS[params.task.kind].stratify else "random"


def split(
    frame: pd.DataFrame, params: Params, data: DataDescription = DATA
) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    strategy = split_strategy(params, data)
    if strategy == "time":
        # The latest rows are the test set: a model is judged on data newer than it saw.
        ordered = frame.iloc[pd.to_datetime(frame[data.time]).argsort(kind="stable")]
        test_rows = max(1, round(len(ordered) * params.split.test_size))
        return ordered.iloc[:-test_rows], ordered.iloc[-test_rows:], strategy
    try:
        train, test = train_test_split(
            frame,
            test_size=params.split.test_size,
            random_state=params.split.seed,
            stratify=frame[data.target.name] if strategy == "stratified" else None,
        )
    except ValueError as error:
        # Too few rows for the test size, or for a row of each class on both sides.
        raise ConfigError(
            f"params.yaml split: cannot split {len(frame)} rows {strategy} with test_size "
            f"{params.split.test_size}: {error}; change split.test_size or split.strategy"
        ) from None
    return train, test, strategy


def run(params: Params) -> dict:
    frame = read_table(params.paths.raw_data)
    train, test, strategy = split(frame, params)
    write_table(train, params.paths.train_data)
    write_table(test, params.paths.test_data)
    return {"strategy": strategy, "train_rows": len(train), "test_rows": len(test)}
