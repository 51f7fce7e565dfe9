import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.core.config import load_params
from {{ cookiecutter.package_name }}.core.data import features_and_target
from {{ cookiecutter.package_name }}.core.description import DataDescription
from {{ cookiecutter.package_name }}.core.errors import DataValidationError
from {{ cookiecutter.package_name }}.core.tasks import TASKS, Task, project_task, task_for
from {{ cookiecutter.package_name }}.project.model import build_model
from {{ cookiecutter.package_name }}.project.schema import DATA
from {{ cookiecutter.package_name }}.scoring.batch import MODEL_VERSION, ScoringJob, score_dataset
from {{ cookiecutter.package_name }}.scoring.predict import predict_frame

from tests.synthetic import synthetic_frame
from tests.unit.descriptions import constant_model, every_kind, refused

# A column the description does not know, kept beside the scores like an identifier.
ROW_ID = "row_id"


@pytest.fixture
def task() -> Task:
    return project_task(load_params().task.kind)


@pytest.fixture
def model(valid_frame, task):
    params = load_params()
    return build_model(params.train, task.kind, seed=0).fit(*features_and_target(valid_frame))


def write_batch(frame: pd.DataFrame, directory, data: DataDescription = DATA) -> pd.DataFrame:
    """The rows, without their target, in three CSV files: three partitions."""
    directory.mkdir()
    batch = frame.drop(columns=[data.target.name]).assign(**{ROW_ID: range(len(frame))})
    for part, rows in enumerate([slice(0, 50), slice(50, 100), slice(100, None)]):
        batch.iloc[rows].to_csv(directory / f"part-{part}.csv", index=False)
    return batch


@pytest.fixture
def batch(valid_frame, tmp_path) -> pd.DataFrame:
    return write_batch(valid_frame, tmp_path / "batch")


def job(tmp_path, task, output="scores.parquet", input="batch/*.csv") -> ScoringJob:
    return ScoringJob(tmp_path / input, tmp_path / output, "7", task, decision_threshold=0.5)


def test_every_row_is_scored_with_the_model_version(model, task, batch, tmp_path):
    assert score_dataset(model, job(tmp_path, task)) == len(batch)
    scores = pd.read_parquet(tmp_path / "scores.parquet").sort_values(ROW_ID)
    assert list(scores.columns) == [
        *DATA.passthrough,
        ROW_ID,
        MODEL_VERSION,
        *task.output_columns(),
    ]
    assert set(scores[MODEL_VERSION]) == {"7"}
    expected = predict_frame(model, task, batch, decision_threshold=0.5)
    for column, dtype in task.output_columns().items():
        if dtype == "float64":
            assert scores[column].tolist() == pytest.approx(expected[column].tolist())
        else:
            assert scores[column].tolist() == expected[column].tolist()


@pytest.mark.parametrize("kind", TASKS)
def test_identifiers_are_kept_beside_each_tasks_outputs(kind, tmp_path):
    task = task_for(kind, every_kind(kind))
    frame = synthetic_frame(60, data=task.data).assign(note="free text")
    frame["customer"] = [f"{number:03}" for number in range(60)]
    frame.to_csv(tmp_path / "rows.csv", index=False)
    score_dataset(constant_model(task, frame), job(tmp_path, task, input="rows.csv"))
    scores = pd.read_parquet(tmp_path / "scores.parquet")
    assert list(scores.columns) == [
        *task.data.passthrough,
        task.data.target.name,
        "note",
        MODEL_VERSION,
        *task.output_columns(),
    ]
    assert scores["customer"].tolist() == frame["customer"].tolist()


def test_a_csv_output_is_one_file(model, task, batch, tmp_path):
    score_dataset(model, job(tmp_path, task, output="scores.csv"))
    assert len(pd.read_csv(tmp_path / "scores.csv")) == len(batch)


class CountingModel:
    """The model, counting how often it scores a batch of rows."""

    def __init__(self, model) -> None:
        self.model, self.calls = model, 0

    def predict_proba(self, features):
        self.calls += 1
        return self.model.predict_proba(features)

    def predict(self, features):
        self.calls += 1
        return self.model.predict(features)


@pytest.mark.parametrize("output", ["scores.csv", "scores.parquet"])
def test_each_partition_is_scored_once(model, task, batch, tmp_path, output):
    counting = CountingModel(model)
    score_dataset(counting, job(tmp_path, task, output=output))
    assert counting.calls == 3


def test_parquet_input_is_read_too(model, task, batch, tmp_path):
    batch.to_parquet(tmp_path / "batch.parquet")
    assert score_dataset(model, job(tmp_path, task, input="batch.parquet")) == len(batch)


def test_a_missing_input_is_named(model, task, tmp_path):
    with pytest.raises(DataValidationError, match=r"nothing\.csv: no file matches"):
        score_dataset(model, job(tmp_path, task, input="nothing.csv"))


def test_a_missing_feature_is_named(model, task, batch, tmp_path):
    name = DATA.feature_names[0]
    batch.drop(columns=[name]).to_csv(tmp_path / "short.csv", index=False)
    with pytest.raises(DataValidationError, match=f"columns missing: {name}"):
        score_dataset(model, job(tmp_path, task, input="short.csv"))


def break_cell(batch: pd.DataFrame, tmp_path, column: str, value) -> None:
    """Put a value in line 11 of the second partition."""
    broken = batch.astype({column: object})
    broken.loc[60, column] = value
    broken.iloc[50:100].to_csv(tmp_path / "batch/part-1.csv", index=False)


def test_a_refused_value_names_its_partition_and_the_earlier_output_survives(
    model, task, batch, tmp_path
):
    score_dataset(model, job(tmp_path, task))
    earlier = pd.read_parquet(tmp_path / "scores.parquet")
    name = DATA.feature_names[0]
    break_cell(batch, tmp_path, name, refused(DATA, name))
    with pytest.raises(DataValidationError, match=rf"(?s)partition 1 .*'{name}'.*line 11"):
        score_dataset(model, job(tmp_path, task))
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "scores.parquet"), earlier)
    assert not list(tmp_path.glob(".scores.parquet*")), "a partial output was left behind"


def test_a_directory_that_is_not_an_earlier_output_is_never_replaced(model, task, batch, tmp_path):
    with pytest.raises(DataValidationError, match="not an earlier scoring output"):
        score_dataset(model, job(tmp_path, task, output="batch"))
    assert len(list((tmp_path / "batch").glob("*.csv"))) == 3


def test_a_number_column_holding_text_is_named(tmp_path):
    task = task_for("regression", every_kind("regression"))
    frame = synthetic_frame(150, data=task.data)
    batch = write_batch(frame, tmp_path / "batch", task.data)
    break_cell(batch, tmp_path, "size", "abc")
    with pytest.raises(
        DataValidationError, match=r"a feature holds a value that is not a number .*'abc'"
    ):
        score_dataset(constant_model(task, frame), job(tmp_path, task))
