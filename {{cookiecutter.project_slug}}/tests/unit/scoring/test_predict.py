import pytest

from {{ cookiecutter.package_name }}.core.config import load_params
from {{ cookiecutter.package_name }}.core.data import features_and_target
from {{ cookiecutter.package_name }}.core.errors import DataValidationError
from {{ cookiecutter.package_name }}.core.tasks import (
    PREDICTION,
    PROBABILITY,
    TASKS,
    project_task,
    task_for,
)
from {{ cookiecutter.package_name }}.project.model import build_model
from {{ cookiecutter.package_name }}.project.schema import DATA
from {{ cookiecutter.package_name }}.scoring.predict import check_inputs, predict_frame

from tests.synthetic import synthetic_frame
from tests.unit.descriptions import constant_model, every_kind, refused


def test_inputs_may_hold_the_target_and_any_column_order(valid_frame):
    reordered = valid_frame[list(reversed(valid_frame.columns))]
    checked = check_inputs(reordered, "request")
    assert len(checked) == len(valid_frame)
    assert set(checked.columns) == set(valid_frame.columns)


def test_a_missing_feature_is_named(valid_frame):
    name = DATA.feature_names[0]
    with pytest.raises(DataValidationError, match=rf"(?s)^request: .*missing\): '{name}'"):
        check_inputs(valid_frame.drop(columns=[name]), "request")


def test_a_refused_value_is_named_with_its_line(valid_frame):
    name = DATA.feature_names[-1]
    valid_frame[name] = valid_frame[name].astype(object)
    valid_frame.loc[2, name] = refused(DATA, name)
    with pytest.raises(DataValidationError, match=rf"column '{name}' failed .*line 4"):
        check_inputs(valid_frame, "request")


def test_an_unknown_column_is_named(valid_frame):
    with pytest.raises(DataValidationError, match="no_such_column"):
        check_inputs(valid_frame.assign(no_such_column=1), "request")


def test_identifiers_and_time_are_optional_and_text_stays_text():
    data = every_kind()
    frame = synthetic_frame(5, data=data).assign(customer=["007", "008", "009", "010", "011"])
    assert check_inputs(frame, "request", data=data)["customer"].tolist()[0] == "007"
    assert len(check_inputs(frame[data.feature_names], "request", data=data)) == 5


@pytest.mark.parametrize("kind", TASKS)
def test_predictions_are_the_output_contract_after_the_identifiers(kind):
    task = task_for(kind, every_kind(kind))
    frame = synthetic_frame(20, data=task.data).set_axis(range(100, 120))
    inputs = check_inputs(frame, "request", data=task.data)
    predictions = predict_frame(constant_model(task, frame), task, inputs, decision_threshold=0.5)
    assert list(predictions.columns) == [*task.data.passthrough, *task.output_columns()]
    assert predictions.index.equals(frame.index)
    assert predictions["customer"].equals(inputs["customer"])


def test_predictions_without_identifiers_are_the_outputs_alone():
    task = task_for("multiclass", every_kind("multiclass"))
    frame = synthetic_frame(20, data=task.data)
    inputs = check_inputs(frame[task.data.feature_names], "request", data=task.data)
    predictions = predict_frame(constant_model(task, frame), task, inputs, decision_threshold=0.5)
    assert list(predictions.columns) == list(task.output_columns())


def test_binary_predictions_follow_the_decision_threshold():
    task = task_for("binary", every_kind("binary"))
    positive, negative = task.data.target.positive, task.data.target.classes[0]
    # A constant model that gives the positive label a probability of 2/3 for every row.
    frame = synthetic_frame(30, data=task.data)
    frame[task.data.target.name] = [negative, positive, positive] * 10
    model = constant_model(task, frame)
    predictions = predict_frame(model, task, frame, decision_threshold=0.6)
    assert predictions[PROBABILITY].round(3).eq(0.667).all()
    assert predictions[PREDICTION].eq(positive).all()
    assert predict_frame(model, task, frame, 0.7)[PREDICTION].eq(negative).all()


def test_the_projects_model_predicts_every_row(valid_frame):
    params = load_params()
    task = project_task(params.task.kind)
    model = build_model(params.train, task.kind, seed=0).fit(*features_and_target(valid_frame))
    inputs = check_inputs(valid_frame, "request")
    predictions = predict_frame(model, task, inputs, params.evaluate.decision_threshold)
    assert list(predictions.columns) == [*DATA.passthrough, *task.output_columns()]
    assert len(predictions) == len(valid_frame)
    assert predictions.notna().all().all()
