"""`adopt`: a table of the user's own becomes the project's data, its description and its task.

The tables are built here, from small descriptions with a column of every kind, so the tests
hold whatever the project's own table and task are.
"""

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from {{ cookiecutter.package_name }}.adopt.adoption import adopt
from {{ cookiecutter.package_name }}.adopt.draft import MARGIN, Draft, draft
from {{ cookiecutter.package_name }}.adopt.project import PIPELINE_FILE
from {{ cookiecutter.package_name }}.cli.main import main
from {{ cookiecutter.package_name }}.core.config import PARAMS_FILE
from {{ cookiecutter.package_name }}.core.description import (
    DESCRIPTION_FILE,
    Boolean,
    Categorical,
    DataDescription,
    Numeric,
)
from {{ cookiecutter.package_name }}.core.tasks import TASKS

from tests.synthetic import synthetic_frame
from tests.unit.descriptions import every_kind

# What adopt rewrites; the project's own copies are the starting point.
PROJECT_FILES = [PARAMS_FILE, PIPELINE_FILE, Path(DESCRIPTION_FILE)]
SOURCE = Path("table.csv")
ROWS = 300
LINE_LENGTH = 100


def made_from(data: DataDescription, rows: int = ROWS, seed: int = 0) -> pd.DataFrame:
    """A table of the description's columns, with a column of free text to ignore."""
    frame = synthetic_frame(rows, seed, data)
    words = np.random.default_rng(seed).choice(["billing", "an outage", "moving"], rows)
    frame["note"] = [f"called on day {day} about {word}" for day, word in enumerate(words)]
    return frame


def drafted(frame: pd.DataFrame, target: str, task=None) -> Draft:
    return draft(frame, target, task, SOURCE)


def with_target(values, **columns) -> pd.DataFrame:
    """A table of a feature and a target with these values."""
    values = list(values)
    size = np.random.default_rng(0).uniform(0, 1, len(values))
    return pd.DataFrame({"size": size, **columns, "label": values})


# The description ------------------------------------------------------------------------------


@pytest.mark.parametrize("task", list(TASKS))
def test_the_draft_finds_the_description_a_table_was_made_from(task, tmp_path):
    source = every_kind(task)
    path = tmp_path / "made.csv"
    made_from(source).to_csv(path, index=False)
    found = drafted(pd.read_csv(path), source.target.name).data
    assert [(f.name, f.kind, f.nullable) for f in found.features] == [
        (f.name, f.kind, f.nullable) for f in source.features
    ]
    for feature in source.features:
        if isinstance(feature, Categorical):
            assert set(found.feature(feature.name).values) == set(feature.values)
    assert found.identifiers == source.identifiers
    assert found.time == source.time
    assert found.ignored == ("note",)
    assert set(found.target.labels or ()) == set(source.target.labels or ())
    assert found.target.positive == source.target.positive


def test_numbers_are_bounded_by_the_range_seen_widened_never_below_zero_if_none_is():
    frame = with_target(
        ["a", "b"] * 100,
        count=np.linspace(10, 110, 200),
        change=np.linspace(-5, 5, 200),
    )
    data = drafted(frame, "label").data
    count, change = data.feature("count"), data.feature("change")
    assert isinstance(count, Numeric)
    assert count.ge == 0
    assert count.le >= 110 + MARGIN * 100
    assert change.ge <= -5 - MARGIN * 10
    assert change.le >= 5 + MARGIN * 10


def test_a_column_with_empty_cells_is_nullable():
    weight = np.linspace(1, 2, 200)
    weight[::10] = np.nan
    frame = with_target(["a", "b"] * 100, weight=weight, member=[True, False] * 100)
    frame["member"] = frame["member"].astype(object).where(frame.index % 7 > 0, None)
    data = drafted(frame, "label").data
    assert data.feature("weight").nullable
    assert isinstance(data.feature("member"), Boolean)
    assert data.feature("member").nullable
    assert not data.feature("size").nullable


def test_identifiers_are_unique_columns_named_like_ids_or_holding_codes_or_serials():
    rows = 200
    order = np.random.default_rng(1).permutation(rows)
    frame = with_target(
        ["a", "b"] * (rows // 2),
        OrderID=order + 1000,
        row=np.arange(rows),
        ticket=[f"T{index:05d}" for index in order],
        income=order * 7 + 20_000,
    )
    data = drafted(frame, "label").data
    assert data.identifiers == ("OrderID", "row", "ticket")
    assert isinstance(data.feature("income"), Numeric)


def test_the_first_column_of_dates_is_the_time_and_other_dates_are_ignored():
    days = pd.date_range("2024-01-01", periods=200, freq="D").strftime("%Y-%m-%d")
    with_gaps = pd.Series(days).where(np.arange(200) % 9 > 0, None)
    frame = with_target(["a", "b"] * 100, closed_on=with_gaps, opened_on=days, renewed_on=days)
    data = drafted(frame, "label").data
    assert data.time == "opened_on"
    assert data.ignored == ("closed_on", "renewed_on")


def test_free_text_and_empty_and_constant_columns_are_ignored_and_few_words_are_categories():
    rows = 200
    frame = with_target(
        ["a", "b"] * (rows // 2),
        comment=[f"the {index}th visit went well" for index in range(rows)],
        empty=[None] * rows,
        constant=["same"] * rows,
        plan=["basic", "plus", "premium", "plus"] * (rows // 4),
    )
    data = drafted(frame, "label").data
    assert data.ignored == ("comment", "empty", "constant")
    assert data.feature("plan") == Categorical("plan", ("basic", "plus", "premium"))


# The task -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "task", "labels", "positive"),
    [
        (["no", "yes", "no"] * 100, "binary", {"no", "yes"}, "yes"),
        ([1, 0, 0] * 100, "binary", {0, 1}, 1),
        ([True, False] * 150, "binary", {False, True}, True),
        # No label reads as yes: the rarer one is the positive one.
        (["cat", "cat", "dog"] * 100, "binary", {"cat", "dog"}, "dog"),
        ([0, 1, 2, 3] * 75, "multiclass", {0, 1, 2, 3}, None),
        (["low", "mid", "high"] * 100, "multiclass", {"low", "mid", "high"}, None),
        (list(range(300)), "regression", None, None),
        (list(np.linspace(0.5, 9.5, 300)), "regression", None, None),
    ],
)
def test_the_task_follows_the_target(values, task, labels, positive):
    found = drafted(with_target(values), "label")
    assert found.task == task
    assert (set(found.target.labels) if found.target.labels else None) == labels
    assert found.target.positive == positive


@pytest.mark.parametrize(
    ("values", "task"),
    [
        ([0, 1, 2, 3] * 75, "regression"),
        ([f"kind {index % 30}" for index in range(300)], "multiclass"),
    ],
)
def test_the_task_given_overrides_the_judgement(values, task):
    assert drafted(with_target(values), "label", task).task == task


# Refusals -------------------------------------------------------------------------------------


@pytest.fixture
def project(tmp_path, monkeypatch, request) -> Path:
    """A directory with the project's files that adopt rewrites."""
    for name in PROJECT_FILES:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(request.config.rootpath / name, tmp_path / name)
    (tmp_path / ".dvc").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def contents(directory: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(directory)): path.read_bytes()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def labelled(values) -> pd.DataFrame:
    return with_target(values[:ROWS])


@pytest.mark.parametrize(
    ("table", "arguments", "expected"),
    [
        (None, [], "file not found"),
        ("", [], "the file is empty"),
        (labelled(["a", "b"] * ROWS), ["--target", "absent"], "its columns: size, label"),
        (labelled(["a"] * ROWS), [], "one value only"),
        (labelled(["a", "b"] * ROWS), ["--task", "regression"], "a regression predicts a number"),
        (labelled([f"kind {index}" for index in range(ROWS)]), [], "give TASK=multiclass"),
        (labelled(["a", None] * ROWS), [], "is empty in lines 3, 5"),
        (labelled(["a", "b", "c", "a"] * ROWS), ["--task", "binary"], "give TASK=multiclass"),
        (with_target(["a", "b"] * 10), [], "fewer than the"),
        (pd.concat([labelled(["a", "b"] * ROWS)] * 2), [], "repeat an earlier row"),
    ],
    ids=[
        "missing file", "empty file", "no such target", "one class", "text for regression",
        "cannot judge", "empty target cells", "three labels for binary", "too few rows",
        "repeated rows",
    ],
)  # fmt: skip
def test_a_table_adopt_cannot_use_gets_one_line_and_nothing_is_written(
    project, capsys, table, arguments, expected
):
    if isinstance(table, pd.DataFrame):
        table.to_csv(SOURCE, index=False)
    elif table is not None:
        SOURCE.write_text(table)
    before = contents(project)
    command = ["adopt", "--data", str(SOURCE), "--target", "label"]
    assert main([*command, *arguments]) == 1
    error = capsys.readouterr().err
    assert error.startswith(f"error: {SOURCE}: ")
    assert expected in error
    assert error.count("\n") == 1
    assert contents(project) == before


# A whole adoption -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def adoptions(tmp_path_factory, pytestconfig) -> dict[str, dict]:
    """A project that adopts a table of each task in turn, and what it had after each."""
    project = tmp_path_factory.mktemp("project")
    for name in PROJECT_FILES:
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(pytestconfig.rootpath / name, project / name)
    results = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(project)
        subprocess.run([sys.executable, "-m", "dvc", "init", "--no-scm", "-q"], check=True)
        for task in TASKS:
            data = every_kind(task)
            table = project / f"outside/{task} table.csv"
            table.parent.mkdir(exist_ok=True)
            made_from(data, seed=len(results)).to_csv(table, index=False)
            before = {name: name.read_text() for name in PROJECT_FILES}
            adoption = adopt(table, data.target.name)
            results[task] = {
                "adoption": adoption,
                "table": table,
                "before": before,
                "after": {name: name.read_text() for name in PROJECT_FILES},
                "tracked": project / f"{adoption.raw_data}.dvc",
                "raw_data": project / adoption.raw_data,
            }
    return results


def load_description(text: str, name: str, directory: Path) -> DataDescription:
    path = directory / f"{name}.py"
    path.write_text(text)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.DATA


@pytest.mark.parametrize("task", list(TASKS))
def test_the_written_description_is_the_draft_and_accepts_its_table(adoptions, task, tmp_path):
    adopted = adoptions[task]
    text = adopted["after"][Path(DESCRIPTION_FILE)]
    data = load_description(text, f"adopted_{task}", tmp_path)
    assert data == adopted["adoption"].draft.data
    table = pd.read_csv(adopted["table"], dtype=data.read_dtypes())
    data.training_schema().validate(table)
    assert all(len(line) <= LINE_LENGTH for line in text.splitlines())
    # The schema.py it replaced keeps its docstring.
    docstring = adopted["before"][Path(DESCRIPTION_FILE)].split('"""')[1]
    assert text.startswith(f'"""{docstring}"""')


@pytest.mark.parametrize("task", list(TASKS))
def test_params_take_the_task_and_keep_their_comments(adoptions, task):
    adopted = adoptions[task]
    before, after = (adopted[when][PARAMS_FILE] for when in ("before", "after"))
    assert comments(after) == comments(before)
    params = yaml.safe_load(after)
    declared = TASKS[task]
    assert params["task"]["kind"] == task
    assert params["gate"]["primary_metric"] == declared.default_primary
    assert params["gate"]["worst_acceptable"] == declared.default_worst_acceptable
    assert params["gate"]["max_secondary_drop"] == declared.default_secondary_drop
    assert params["tune"]["scoring"] == declared.default_primary
    assert Path(params["paths"]["raw_data"]) == adopted["adoption"].raw_data


@pytest.mark.parametrize("task", list(TASKS))
def test_the_pipeline_takes_the_task_plots_and_keeps_the_rest(adoptions, task):
    adopted = adoptions[task]
    before, after = (yaml.safe_load(adopted[when][PIPELINE_FILE]) for when in ("before", "after"))
    assert {key: value for key, value in after.items() if key != "plots"} == {
        key: value for key, value in before.items() if key != "plots"
    }
    plots = {name: plot for entry in after["plots"] for name, plot in entry.items()}
    assert plots == {"${paths.plots}/" + name: plot for name, plot in TASKS[task].plots.items()}
    texts = (adopted[when][PIPELINE_FILE] for when in ("before", "after"))
    assert comments(next(texts)) == comments(next(texts))


@pytest.mark.parametrize("task", list(TASKS))
def test_the_table_is_copied_into_the_raw_data_and_tracked(adoptions, task):
    adopted = adoptions[task]
    assert adopted["raw_data"].read_bytes() == adopted["table"].read_bytes()
    assert adopted["tracked"].is_file()
    assert adopted["adoption"].raw_data.parent == Path("data/raw")


def test_the_summary_names_every_column_and_the_next_command(adoptions):
    adoption = next(iter(adoptions.values()))["adoption"]
    summary = adoption.summary()
    for column in adoption.draft.columns:
        assert f"  {column.name} " in summary
    assert summary.endswith("next: make repro register promote")


def comments(text: str) -> list[str]:
    """The comment lines and blank lines of a YAML file, in order."""
    return [line for line in text.splitlines() if not line.strip() or line.lstrip().startswith("#")]
