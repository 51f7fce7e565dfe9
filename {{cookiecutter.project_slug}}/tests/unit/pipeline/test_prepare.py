import dataclasses

import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.core.config import Params, TaskParams, load_params
from {{ cookiecutter.package_name }}.core.data import read_table
from {{ cookiecutter.package_name }}.core.description import DESCRIPTION_FILE
from {{ cookiecutter.package_name }}.core.errors import ConfigError
from {{ cookiecutter.package_name }}.core.tasks import TaskKind
from {{ cookiecutter.package_name }}.pipeline import prepare
from {{ cookiecutter.package_name }}.project.schema import DATA

from tests.synthetic import synthetic_frame
from tests.unit.descriptions import every_kind


def split_params(kind: TaskKind, **split) -> Params:
    """The project's params for a task, with the strategy `auto` unless `split` says."""
    params = load_params()
    split = params.split.model_copy(update={"strategy": "auto", **split})
    return params.model_copy(update={"task": TaskParams(kind=kind), "split": split})


def untimed(kind: TaskKind):
    return dataclasses.replace(every_kind(kind), time=None)


def test_the_split_is_repeatable_and_keeps_every_row(valid_frame, tmp_path):
    params = load_params()
    raw = tmp_path / "raw.csv"
    valid_frame.to_csv(raw, index=False)
    paths = params.paths.model_copy(
        update={
            "raw_data": raw,
            "train_data": tmp_path / "train.csv",
            "test_data": tmp_path / "test.csv",
        }
    )
    params = params.model_copy(update={"paths": paths})

    counts = prepare.run(params)
    first = read_table(paths.test_data)
    prepare.run(params)

    assert counts["strategy"] == prepare.split_strategy(params)
    assert counts["train_rows"] + counts["test_rows"] == len(valid_frame)
    assert read_table(paths.test_data).equals(first)


@pytest.mark.parametrize("kind", ["binary", "multiclass"])
def test_classes_are_split_in_proportion(kind):
    data = untimed(kind)
    frame = synthetic_frame(200, data=data)
    params = split_params(kind, test_size=0.25)
    _, test, strategy = prepare.split(frame, params, data)
    assert strategy == "stratified"
    assert len(test) == 50
    # Each class within a row of its share of the test set.
    target = data.target.name
    expected = frame[target].value_counts(normalize=True) * len(test)
    assert (test[target].value_counts() - expected).abs().max() <= 1


def test_a_regression_is_split_at_random():
    data = untimed("regression")
    frame = synthetic_frame(200, data=data)
    train, test, strategy = prepare.split(frame, split_params("regression"), data)
    assert strategy == "random"
    assert len(train) + len(test) == 200
    # At random: the test rows are not a block of the file.
    assert not test.index.sort_values().equals(
        pd.RangeIndex(test.index.min(), test.index.max() + 1)
    )


@pytest.mark.parametrize("kind", ["binary", "regression"])
def test_with_a_time_column_the_latest_rows_are_the_test_set(kind):
    data = every_kind(kind)
    frame = synthetic_frame(100, data=data).sample(frac=1, random_state=3)
    train, test, strategy = prepare.split(frame, split_params(kind, test_size=0.2), data)
    assert strategy == "time"
    assert len(test) == 20
    assert train[data.time].max() < test[data.time].min()


def test_a_time_split_without_a_time_column_names_both_files():
    with pytest.raises(ConfigError) as error:
        prepare.split_strategy(split_params("binary", strategy="time"), untimed("binary"))
    assert str(error.value).startswith(
        f"params.yaml split.strategy is time, but {DESCRIPTION_FILE} declares no time column"
    )


def test_a_stratified_regression_split_is_refused():
    with pytest.raises(ConfigError, match=r"split\.strategy is stratified, which needs classes"):
        prepare.split_strategy(
            split_params("regression", strategy="stratified"), untimed("regression")
        )


def test_a_test_set_too_small_for_every_class_names_the_setting():
    data = untimed("multiclass")
    frame = synthetic_frame(20, data=data)
    with pytest.raises(ConfigError, match=r"params\.yaml split: cannot split 20 rows stratified"):
        prepare.split(frame, split_params("multiclass", test_size=0.1), data)


def test_the_strategy_named_in_params_wins_over_auto():
    params = split_params(load_params().task.kind, strategy="random")
    assert prepare.split_strategy(params, DATA) == "random"
