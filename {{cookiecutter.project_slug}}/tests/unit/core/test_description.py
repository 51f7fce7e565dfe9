"""The description's translations: the schemas, the types a file is read with, the frame the
model sees, and the classes the labels map to."""

import io

import numpy as np
import pandas as pd
import pandera.errors
import pytest

from {{ cookiecutter.package_name }}.core.description import (
    DESCRIPTION_FILE,
    Categorical,
    DataDescription,
    Numeric,
    Target,
)
from {{ cookiecutter.package_name }}.core.errors import ConfigError
from {{ cookiecutter.package_name }}.project.schema import DATA

from tests.synthetic import synthetic_frame
from tests.unit.descriptions import TARGETS, every_kind, refused

DESCRIPTIONS = {"project": DATA, **{task: every_kind(task) for task in TARGETS}}


def failures(schema, frame: pd.DataFrame) -> pd.DataFrame:
    """The failure cases of a frame the schema must refuse."""
    with pytest.raises(pandera.errors.SchemaErrors) as error:
        schema.validate(frame, lazy=True)
    return error.value.failure_cases


@pytest.mark.parametrize("data", DESCRIPTIONS.values(), ids=DESCRIPTIONS)
def test_valid_rows_pass_every_schema(data):
    frame = synthetic_frame(40, data=data)
    assert len(data.training_schema().validate(frame)) == 40
    assert len(data.input_schema().validate(frame.drop(columns=data.target.name))) == 40
    assert list(data.features_schema().validate(frame).columns) == data.feature_names


@pytest.mark.parametrize("data", DESCRIPTIONS.values(), ids=DESCRIPTIONS)
def test_a_refused_value_is_named_with_its_column_and_row(data):
    columns = [*data.feature_names, data.target.name]
    # Column i breaks in row i, and nowhere else.
    frame = synthetic_frame(len(columns) + 10, data=data).astype(dict.fromkeys(columns, object))
    for row, column in enumerate(columns):
        frame.loc[row, column] = refused(data, column)
    cases = failures(data.training_schema(), frame)
    assert set(cases["column"]) == set(columns)
    for row, column in enumerate(columns):
        assert set(cases.loc[cases["column"] == column, "index"].dropna()) == {row}, column


def test_rows_to_score_need_the_features_and_nothing_unknown():
    data = every_kind("multiclass")
    frame = synthetic_frame(10, data=data)
    data.input_schema().validate(frame[data.feature_names])
    data.input_schema().validate(frame.assign(note="free text"))
    cases = failures(data.input_schema(), frame.assign(colour_typo="red"))
    assert "colour_typo" in set(cases["failure_case"])
    cases = failures(data.input_schema(), frame.drop(columns="colour"))
    assert set(cases["failure_case"]) == {"colour"}


def test_empty_cells_are_refused_unless_the_column_is_nullable():
    data = every_kind()
    frame = synthetic_frame(20, data=data)
    frame.loc[2, ["weight", "colour", "member"]] = None
    data.training_schema().validate(frame)
    frame.loc[5, "size"] = None
    assert set(failures(data.training_schema(), frame)["column"]) == {"size"}


def test_training_data_must_not_repeat_a_row_but_requests_may():
    frame = synthetic_frame(20)
    repeated = pd.concat([frame, frame.iloc[[3]]], ignore_index=True)
    DATA.input_schema().validate(repeated)
    assert set(failures(DATA.training_schema(), repeated)["index"]) == {20}


def test_text_stays_text_when_read():
    data = DataDescription(
        features=[Categorical("answer", ("yes", "no", "007")), Numeric("amount")],
        target=Target("label", labels=("1", "2")),
        identifiers=["code"],
    )
    text = "code,answer,amount,label\n007,yes,1.5,1\n0100,007,2,2\n"
    frame = pd.read_csv(io.StringIO(text), dtype=data.read_dtypes())
    validated = data.training_schema().validate(frame)
    assert validated["code"].tolist() == ["007", "0100"]
    assert validated["answer"].tolist() == ["yes", "007"]
    assert validated["label"].tolist() == ["1", "2"]
    assert validated["amount"].tolist() == [1.5, 2.0]


def test_booleans_read_as_text_are_booleans():
    # As a reader that keeps text gives them (Dask's CSV reader).
    data = every_kind()
    frame = synthetic_frame(4, data=data)
    frame["member"] = pd.array(["True", "false", None, "TRUE"], dtype="string")
    member = data.training_schema().validate(frame)["member"]
    assert str(member.dtype) == "boolean"
    assert member.astype(object).where(member.notna(), None).tolist() == [True, False, None, True]


def test_the_model_sees_numbers_as_floats_and_categories_as_text():
    data = every_kind()
    frame = synthetic_frame(20, data=data)
    frame.loc[0, ["weight", "colour", "member"]] = None
    model_frame = data.model_frame(data.training_schema().validate(frame))
    assert model_frame.dtypes.astype(str).to_dict() == {
        "size": "float64",
        "weight": "float64",
        "colour": "object",
        "member": "float64",
    }
    assert model_frame.loc[0, ["weight", "colour", "member"]].map(np.isnan).all()
    assert set(model_frame["member"].dropna()) <= {0.0, 1.0}
    assert set(model_frame["colour"].dropna()) <= {"red", "green", "blue"}


def test_the_positive_label_is_class_1_wherever_it_is_declared():
    data = DataDescription([Numeric("x")], Target("outcome", labels=("yes", "no"), positive="yes"))
    assert data.target.classes == ("no", "yes")
    assert data.encode_target(pd.Series(["yes", "no", "yes"])).tolist() == [1, 0, 1]
    assert data.decode_classes([1, 0]).tolist() == ["yes", "no"]


def test_labels_are_classes_in_their_declared_order():
    data = every_kind("multiclass")
    labels = pd.Series(["high", "low", "mid", "high"])
    codes = data.encode_target(labels)
    assert codes.tolist() == [2, 0, 1, 2]
    assert data.decode_classes(codes).tolist() == labels.tolist()


def test_numeric_labels_read_as_floats_are_their_classes():
    data = DataDescription([Numeric("x")], Target("y", labels=(0, 1), positive=1))
    assert data.encode_target(pd.Series([1.0, 0.0])).tolist() == [1, 0]


def test_an_undeclared_label_is_refused():
    with pytest.raises(ConfigError, match=r"target value 'maybe' is not one of the labels"):
        every_kind("binary").encode_target(pd.Series(["yes", "maybe"]))


def test_a_regression_target_is_its_numbers():
    values = every_kind("regression").encode_target(pd.Series([1, 2.5]))
    assert values.dtype == float
    assert values.tolist() == [1.0, 2.5]


def test_a_column_declared_twice_is_refused():
    with pytest.raises(ConfigError, match=rf"{DESCRIPTION_FILE}: 'x' declared more than once"):
        DataDescription([Numeric("x")], Target("y"), identifiers=["x"])


def test_a_description_needs_a_feature():
    with pytest.raises(ConfigError, match="declare at least one feature"):
        DataDescription([], Target("y"))
