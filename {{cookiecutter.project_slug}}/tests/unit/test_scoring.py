import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.config import load_params
from {{ cookiecutter.package_name }}.errors import DataValidationError
from {{ cookiecutter.package_name }}.model import build_model
from {{ cookiecutter.package_name }}.predict import predict_frame
from {{ cookiecutter.package_name }}.schema import FEATURES, TARGET
from {{ cookiecutter.package_name }}.scoring import ScoringJob, score_dataset


@pytest.fixture
def model(valid_frame):
    params = load_params()
    return build_model(params.train, seed=0).fit(valid_frame[list(FEATURES)], valid_frame[TARGET])


@pytest.fixture
def batch(valid_frame, tmp_path):
    """The valid rows in three CSV files, with an identifier: three partitions."""
    directory = tmp_path / "batch"
    directory.mkdir()
    frame = valid_frame.drop(columns=[TARGET]).assign(row_id=range(len(valid_frame)))
    for part, rows in enumerate([slice(0, 50), slice(50, 100), slice(100, None)]):
        frame.iloc[rows].to_csv(directory / f"part-{part}.csv", index=False)
    return frame


def job(tmp_path, output="scores.parquet", input="batch/*.csv"):
    return ScoringJob(tmp_path / input, tmp_path / output, "7", decision_threshold=0.5)


def test_every_row_is_scored_with_the_model_version(model, batch, tmp_path):
    assert score_dataset(model, job(tmp_path)) == len(batch)
    scores = pd.read_parquet(tmp_path / "scores.parquet").sort_values("row_id")
    assert list(scores.columns) == ["row_id", "model_version", "probability", "prediction"]
    assert set(scores["model_version"]) == {"7"}
    expected = predict_frame(model, batch[list(FEATURES)], decision_threshold=0.5)
    assert scores["probability"].tolist() == pytest.approx(expected["probability"].tolist())
    assert scores["prediction"].tolist() == expected["prediction"].tolist()


def test_a_csv_output_is_one_file(model, batch, tmp_path):
    score_dataset(model, job(tmp_path, output="scores.csv"))
    assert len(pd.read_csv(tmp_path / "scores.csv")) == len(batch)


class CountingModel:
    def __init__(self, model) -> None:
        self.model, self.calls = model, 0

    def predict_proba(self, features):
        self.calls += 1
        return self.model.predict_proba(features)


@pytest.mark.parametrize("output", ["scores.csv", "scores.parquet"])
def test_each_partition_is_scored_once(model, batch, tmp_path, output):
    counting = CountingModel(model)
    score_dataset(counting, job(tmp_path, output=output))
    assert counting.calls == 3


def test_parquet_input_is_read_too(model, batch, tmp_path):
    batch.to_parquet(tmp_path / "batch.parquet")
    assert score_dataset(model, job(tmp_path, input="batch.parquet")) == len(batch)


def test_a_missing_input_is_named(model, tmp_path):
    with pytest.raises(DataValidationError, match=r"nothing\.csv: no file matches"):
        score_dataset(model, job(tmp_path, input="nothing.csv"))


def test_a_missing_feature_is_named(model, batch, tmp_path):
    batch.drop(columns=["mean_area"]).to_csv(tmp_path / "short.csv", index=False)
    with pytest.raises(DataValidationError, match="columns missing: mean_area"):
        score_dataset(model, job(tmp_path, input="short.csv"))


def break_cell(batch, tmp_path, value) -> None:
    broken = batch.astype({"mean_area": object})
    broken.loc[60, "mean_area"] = value
    broken.iloc[50:100].to_csv(tmp_path / "batch/part-1.csv", index=False)


def test_a_bad_value_names_its_partition_and_the_earlier_output_survives(model, batch, tmp_path):
    score_dataset(model, job(tmp_path))
    earlier = pd.read_parquet(tmp_path / "scores.parquet")
    break_cell(batch, tmp_path, -1.0)
    with pytest.raises(DataValidationError, match=r"(?s)partition 1 .*'mean_area'.*line 11: -1\.0"):
        score_dataset(model, job(tmp_path))
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "scores.parquet"), earlier)
    assert not list(tmp_path.glob(".scores.parquet*")), "a partial output was left behind"


def test_a_directory_that_is_not_an_earlier_output_is_never_replaced(model, batch, tmp_path):
    with pytest.raises(DataValidationError, match="not an earlier scoring output"):
        score_dataset(model, job(tmp_path, output="batch"))
    assert len(list((tmp_path / "batch").glob("*.csv"))) == 3


def test_a_value_that_is_not_a_number_is_named(model, batch, tmp_path):
    break_cell(batch, tmp_path, "abc")
    with pytest.raises(
        DataValidationError, match=r"a feature holds a value that is not a number .*'abc'"
    ):
        score_dataset(model, job(tmp_path))
