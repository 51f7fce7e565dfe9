"""Stage prepare: split the validated raw data into train and test sets."""

import pandas as pd
from sklearn.model_selection import train_test_split

from {{ cookiecutter.package_name }}.config import Params
from {{ cookiecutter.package_name }}.data import read_table, write_table
from {{ cookiecutter.package_name }}.errors import ConfigError
from {{ cookiecutter.package_name }}.schema import DATA
from {{ cookiecutter.package_name }}.tasks import TASKS


def split_strategy(params: Params) -> str:
    """The strategy in use: `auto` resolved from the description and the task."""
    strategy = params.split.strategy
    if strategy == "time" and DATA.time is None:
        raise ConfigError(
            "params.yaml split.strategy is time, but schema.py declares no time column "
            "(DataDescription(time=...))"
        )
    if strategy == "stratified" and not TASKS[params.task.kind].stratify:
        raise ConfigError(
            "params.yaml split.strategy is stratified, which needs classes; "
            f"a {params.task.kind} task splits at random or by time"
        )
    if strategy != "auto":
        return strategy
    if DATA.time is not None:
        return "time"
    return "stratified" if TASKS[params.task.kind].stratify else "random"


def split(frame: pd.DataFrame, params: Params) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    strategy = split_strategy(params)
    if strategy == "time":
        # The latest rows are the test set: a model is judged on data newer than it saw.
        ordered = frame.iloc[pd.to_datetime(frame[DATA.time]).argsort(kind="stable")]
        test_rows = max(1, round(len(ordered) * params.split.test_size))
        return ordered.iloc[:-test_rows], ordered.iloc[-test_rows:], strategy
    train, test = train_test_split(
        frame,
        test_size=params.split.test_size,
        random_state=params.split.seed,
        stratify=frame[DATA.target.name] if strategy == "stratified" else None,
    )
    return train, test, strategy


def run(params: Params) -> dict:
    frame = read_table(params.paths.raw_data)
    train, test, strategy = split(frame, params)
    write_table(train, params.paths.train_data)
    write_table(test, params.paths.test_data)
    return {"strategy": strategy, "train_rows": len(train), "test_rows": len(test)}
