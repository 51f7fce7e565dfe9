import json

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.core.errors import DataValidationError, ProjectError
from {{ cookiecutter.package_name }}.monitoring.drift.batch import read_batch, shift_features
from {{ cookiecutter.package_name }}.project.schema import DATA
from {{ cookiecutter.package_name }}.serving.prediction_log import PredictionLog

from tests.synthetic import rows_of
from tests.unit.monitoring.drift.normal_rows import KINDS, draw, numeric_features

NOT_A_VALUE = "not a value"


def write_log(path, frame: pd.DataFrame, rows_per_line: int) -> None:
    """A prediction log as the service writes it: each line's `inputs` an array of rows."""
    rows = rows_of(frame)
    log = PredictionLog(path)
    for start in range(0, len(rows), rows_per_line):
        log.write(
            request_id=f"request-{start}",
            request_key=None,
            model_version="3",
            role="champion",
            mode="served",
            latency_ms=1.0,
            inputs_json=json.dumps(rows[start : start + rows_per_line]).encode(),
            outputs_json="[]",
        )
    log.close()


@pytest.fixture
def csv_batch(valid_frame, tmp_path) -> pd.DataFrame:
    """The rows read back from a CSV file, as every other form must read them."""
    path = tmp_path / "batch.csv"
    valid_frame.to_csv(path, index=False)
    return read_batch(path)


def test_a_csv_batch_keeps_only_the_features_in_the_descriptions_order(
    valid_frame, csv_batch, tmp_path
):
    path = tmp_path / "reordered.csv"
    reordered = valid_frame.assign(prediction=0.5)[[*reversed(valid_frame.columns), "prediction"]]
    reordered.to_csv(path, index=False)
    batch = read_batch(path)
    assert list(batch.columns) == DATA.feature_names
    pd.testing.assert_frame_equal(batch, csv_batch)
    assert len(batch) == len(valid_frame)


@pytest.mark.parametrize("rows_per_line", [1, 7], ids=["a-row-a-line", "arrays-of-rows"])
def test_the_services_prediction_log_gives_the_same_batch(
    valid_frame, csv_batch, tmp_path, rows_per_line
):
    path = tmp_path / "predictions.jsonl"
    write_log(path, valid_frame, rows_per_line)
    pd.testing.assert_frame_equal(read_batch(path), csv_batch, check_dtype=False)


def test_a_log_line_may_hold_one_row_object(valid_frame, csv_batch, tmp_path):
    path = tmp_path / "predictions.jsonl"
    path.write_text("".join(json.dumps({"inputs": row}) + "\n" for row in rows_of(valid_frame)))
    pd.testing.assert_frame_equal(read_batch(path), csv_batch, check_dtype=False)


def test_a_bad_value_in_the_log_names_its_line(valid_frame, tmp_path):
    name = DATA.feature_names[0]
    frame = valid_frame.astype({name: object})
    frame.loc[12, name] = NOT_A_VALUE
    path = tmp_path / "predictions.jsonl"
    write_log(path, frame, rows_per_line=5)
    with pytest.raises(DataValidationError, match=rf"column '{name}' failed .*line 3: 'not a"):
        read_batch(path)


def test_a_log_line_that_is_not_json_is_named(valid_frame, tmp_path):
    path = tmp_path / "predictions.jsonl"
    write_log(path, valid_frame.head(3), rows_per_line=1)
    path.write_text(path.read_text() + '{"inputs": [{"')
    with pytest.raises(DataValidationError, match=r"predictions\.jsonl: line 4 is not JSON"):
        read_batch(path)


@pytest.mark.parametrize(
    "line", ['{"prediction": 1}', '{"inputs": [1, 2]}', '{"inputs": "row"}'], ids=str
)
def test_a_log_line_without_rows_in_its_inputs_is_named(tmp_path, line):
    path = tmp_path / "predictions.jsonl"
    path.write_text(line + "\n")
    with pytest.raises(DataValidationError, match=r"line 1 has no `inputs` holding the rows"):
        read_batch(path)


def test_a_missing_batch_is_named(tmp_path):
    with pytest.raises(DataValidationError, match=r"absent\.csv: file not found"):
        read_batch(tmp_path / "absent.csv")


@pytest.fixture
def numeric_name() -> str:
    names = numeric_features()
    if not names:
        pytest.skip("schema.py declares no numeric feature to shift")
    return names[0]


def test_a_shift_moves_only_the_named_feature_by_standard_deviations(numeric_name):
    frame = draw(200, seed=1)
    shifted = shift_features(frame, [numeric_name], 0.01)
    moved = (shifted[numeric_name] - frame[numeric_name]).dropna()
    # At most by the step: a value near its upper bound stops there.
    step = 0.01 * frame[numeric_name].std()
    assert moved.median() == pytest.approx(step)
    assert moved.max() == pytest.approx(step)
    others = frame.columns.drop(numeric_name)
    pd.testing.assert_frame_equal(shifted[others], frame[others])


def test_a_shift_stays_within_the_declared_bounds(numeric_name):
    feature = DATA.feature(numeric_name)
    frame = draw(200, seed=1)
    for shift, bound in ((-1e6, feature.ge), (1e6, feature.le)):
        values = shift_features(frame, [numeric_name], shift)[numeric_name]
        if bound is not None:
            assert set(values.dropna()) == {bound}


def test_missing_values_stay_missing():
    frame = draw(200, seed=1, data=KINDS)
    shifted = shift_features(frame, ["size"], 0.5, KINDS)
    assert shifted["size"].isna().equals(frame["size"].isna())
    assert shifted["size"].max() <= 100


def test_an_unknown_feature_lists_the_known_ones():
    with pytest.raises(ProjectError, match=r"unknown feature 'weight'; the features are: size, co"):
        shift_features(draw(10, seed=1, data=KINDS), ["weight"], 0.5, KINDS)


@pytest.mark.parametrize(("name", "kind"), [("colour", "categorical"), ("member", "boolean")])
def test_only_numeric_features_can_be_shifted(name, kind):
    with pytest.raises(ProjectError, match=rf"'{name}' is {kind}; only numeric features"):
        shift_features(draw(10, seed=1, data=KINDS), [name], 0.5, KINDS)


def test_an_empty_column_shifts_to_an_empty_column():
    frame = draw(10, seed=1, data=KINDS).assign(size=np.nan)
    assert shift_features(frame, ["size"], 0.5, KINDS)["size"].isna().all()
