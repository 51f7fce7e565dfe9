"""The tasks: their metrics and directions, the output contract, and the targets they fit."""

from dataclasses import replace

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import get_scorer

from {{ cookiecutter.package_name }}.core.config import load_params
from {{ cookiecutter.package_name }}.core.description import (
    DESCRIPTION_FILE,
    DataDescription,
    Numeric,
    Target,
)
from {{ cookiecutter.package_name }}.core.errors import ConfigError
from {{ cookiecutter.package_name }}.core.tasks import (
    PREDICTION,
    PROBABILITY,
    TASKS,
    probability_column,
    project_task,
    task_for,
)
from {{ cookiecutter.package_name }}.project.schema import DATA

from tests.synthetic import synthetic_frame
from tests.unit.descriptions import every_kind

LOWER_IS_BETTER = {"log_loss", "rmse", "mae"}


def fitted(kind: str):
    """A task on a description of its own, a plain model fitted to its synthetic rows, and
    the rows' features and target."""
    task = task_for(kind, every_kind(kind))
    frame = synthetic_frame(80, seed=1, data=task.data)
    # The synthetic target follows the first feature, a number: enough for a plain model.
    features = task.data.model_frame(frame)[task.data.feature_names[:1]]
    actual = task.data.encode_target(frame[task.data.target.name])
    estimator = LinearRegression() if kind == "regression" else LogisticRegression()
    return task, estimator.fit(features, actual), features, actual


def test_each_metric_knows_whether_lower_is_better():
    for task in TASKS.values():
        for name, metric in task.metrics.items():
            assert metric.greater_is_better is (name not in LOWER_IS_BETTER), name


@pytest.mark.parametrize("kind", TASKS)
def test_each_metric_agrees_with_its_search_scorer(kind):
    # The search maximises the scorer: it is the metric itself, or its negation when lower
    # is better.
    task, model, features, actual = fitted(kind)
    values = task.evaluate(actual, task.scores(model, features), decision_threshold=0.5)
    assert set(values) == set(task.metrics)
    for name, metric in task.metrics.items():
        sign = 1 if metric.greater_is_better else -1
        scored = get_scorer(metric.scorer)(model, features, actual)
        assert scored == pytest.approx(sign * values[name]), name


def test_improvement_is_positive_when_better_in_either_direction():
    roc_auc, rmse = TASKS["binary"].metrics["roc_auc"], TASKS["regression"].metrics["rmse"]
    assert roc_auc.improvement(0.9, 0.8) == pytest.approx(0.1)
    assert roc_auc.improvement(0.8, 0.9) == pytest.approx(-0.1)
    assert rmse.improvement(8.0, 10.0) == pytest.approx(2.0)
    assert rmse.improvement(10.0, 8.0) == pytest.approx(-2.0)


def test_the_worst_acceptable_is_a_minimum_or_a_maximum():
    roc_auc, log_loss = TASKS["binary"].metrics["roc_auc"], TASKS["binary"].metrics["log_loss"]
    assert roc_auc.acceptable(0.7, worst=0.6)
    assert roc_auc.acceptable(0.6, worst=0.6)
    assert not roc_auc.acceptable(0.5, worst=0.6)
    assert log_loss.acceptable(0.2, worst=0.3)
    assert log_loss.acceptable(0.3, worst=0.3)
    assert not log_loss.acceptable(0.4, worst=0.3)


@pytest.mark.parametrize("kind", TASKS)
def test_outputs_have_the_declared_columns_and_types(kind):
    task, model, features, _ = fitted(kind)
    outputs = task.outputs(task.scores(model, features), decision_threshold=0.5)
    assert outputs.dtypes.astype(str).to_dict() == task.output_columns()
    assert len(outputs) == len(features)


@pytest.mark.parametrize(
    ("kind", "labels"),
    [
        ("binary", ("yes", "no")),
        ("binary", (False, True)),
        ("multiclass", (3, 1, 2)),
        ("regression", None),
    ],
)
def test_output_values_are_the_tables_as_the_labels_own_python_values(kind, labels):
    """Serving answers with `output_values`, batch scoring writes `outputs`: the same values,
    and a label is the description's own value (a bool stays a bool, not 1 or "True")."""
    data = every_kind(kind)
    if labels is not None:
        positive = labels[0] if kind == "binary" else None
        data = replace(data, target=Target("label", labels=labels, positive=positive))
    task = task_for(kind, data)
    scores = np.array([1.5, -2.0]) if labels is None else np.eye(len(labels))[[0, -1]]
    values = task.output_values(scores, decision_threshold=0.5)
    table = task.outputs(scores, decision_threshold=0.5)
    answered = {name: column.tolist() for name, column in values.items()}
    assert answered == table.to_dict(orient="list")
    if labels is not None:
        assert [type(label) for label in answered[PREDICTION]] == [type(labels[0])] * 2


def test_binary_outputs_are_the_label_and_the_positive_labels_probability():
    task = task_for("binary", every_kind("binary"))
    scores = np.array([[0.8, 0.2], [0.3, 0.7]])
    outputs = task.outputs(scores, decision_threshold=0.5)
    assert list(outputs.columns) == [PREDICTION, PROBABILITY]
    assert outputs[PREDICTION].tolist() == ["no", "yes"]
    assert outputs[PROBABILITY].tolist() == [0.2, 0.7]
    assert task.outputs(scores, decision_threshold=0.75)[PREDICTION].tolist() == ["no", "no"]


def test_multiclass_outputs_the_likeliest_label_and_a_probability_per_label():
    task = task_for("multiclass", every_kind("multiclass"))
    scores = np.array([[0.1, 0.7, 0.2], [0.5, 0.2, 0.3]])
    outputs = task.outputs(scores, decision_threshold=0.5)
    labels = task.data.target.labels
    assert list(outputs.columns) == [PREDICTION, *map(probability_column, labels)]
    assert outputs[PREDICTION].tolist() == [labels[1], labels[0]]
    assert outputs[probability_column(labels[2])].tolist() == [0.2, 0.3]


def test_regression_outputs_the_predicted_value():
    task = task_for("regression", every_kind("regression"))
    outputs = task.outputs(np.array([1.5, -2.0]), decision_threshold=0.5)
    assert outputs.to_dict(orient="list") == {PREDICTION: [1.5, -2.0]}


@pytest.mark.parametrize("kind", TASKS)
def test_outputs_read_back_measure_as_the_scores_they_came_from(kind):
    """A prediction log's outputs give the metrics the model's scores give, at the decision
    threshold the outputs were made with."""
    task, model, features, actual = fitted(kind)
    scores = task.scores(model, features)
    outputs = task.outputs(scores, decision_threshold=0.7)
    read_scores, predicted = task.read_outputs(outputs)
    np.testing.assert_allclose(read_scores, scores)
    assert task.measure(actual, read_scores, predicted) == pytest.approx(
        task.evaluate(actual, scores, decision_threshold=0.7), nan_ok=True
    )


@pytest.mark.parametrize("kind", TASKS)
def test_each_declared_plot_has_its_data(kind):
    task, model, features, actual = fitted(kind)
    plots = task.plot_data(actual, task.scores(model, features), decision_threshold=0.5)
    assert set(plots) == set(task.plots)
    for name, plot in task.plots.items():
        assert {plot["x"], plot["y"]} <= set(plots[name].columns), name
        assert len(plots[name]) > 0, name


def test_the_confusion_matrix_shows_labels():
    task, model, features, actual = fitted("multiclass")
    confusion = task.plot_data(actual, task.scores(model, features), 0.5)["confusion.csv"]
    assert set(confusion["actual"]) == set(task.data.target.labels)


def test_a_binary_test_set_of_one_class_has_no_roc_auc_rather_than_an_error():
    task = task_for("binary", every_kind("binary"))
    scores = np.array([[0.2, 0.8], [0.4, 0.6]])
    metrics = task.evaluate(np.array([1, 1]), scores, decision_threshold=0.5)
    assert np.isnan(metrics["roc_auc"])
    assert metrics["accuracy"] == 1.0


@pytest.mark.parametrize(
    ("kind", "target", "problem"),
    [
        ("regression", Target("y", labels=(0, 1), positive=1), "a regression target has none"),
        ("binary", Target("y"), "without labels; list them"),
        ("multiclass", Target("y"), "without labels; list them"),
        ("binary", Target("y", labels=("a", "b", "c")), "a binary task has 2"),
        ("binary", Target("y", labels=("a", "b"), positive="c"), "positive='c', not one of"),
        ("multiclass", Target("y", labels=("a", "b"), positive="b"), "a multiclass task has 3"),
    ],
    ids=[
        "labels-for-regression",
        "binary-without-labels",
        "multiclass-without-labels",
        "three-labels-for-binary",
        "unknown-positive",
        "two-labels-for-multiclass",
    ],
)
def test_a_task_that_does_not_fit_the_target_names_both_files(kind, target, problem):
    with pytest.raises(ConfigError) as error:
        task_for(kind, DataDescription([Numeric("x")], target))
    message = str(error.value)
    assert message.startswith(
        f"params.yaml task.kind is {kind}, but {DESCRIPTION_FILE} declares the target 'y'"
    )
    assert problem in message


def test_the_project_task_is_params_yamls_for_the_project_description():
    kind = load_params().task.kind
    task = project_task(kind)
    assert (task.kind, task.data) == (kind, DATA)


def test_binary_group_rates_count_predicted_positives():
    rates = TASKS["binary"].group_rates
    actual, predicted = np.array([1, 1, 0, 0, 0]), np.array([1, 0, 1, 0, 0])
    assert rates["selection_rate"](actual, predicted) == pytest.approx(2 / 5)
    assert rates["tpr"](actual, predicted) == pytest.approx(1 / 2)
    assert rates["fpr"](actual, predicted) == pytest.approx(1 / 3)
    # No positive row: no true positive rate.
    assert np.isnan(rates["tpr"](np.array([0, 0]), np.array([1, 0])))


def test_multiclass_group_rates_average_over_the_classes():
    rates = TASKS["multiclass"].group_rates
    actual, predicted = np.array([0, 0, 1, 1, 2]), np.array([0, 1, 1, 1, 0])
    assert rates["accuracy"](actual, predicted) == pytest.approx(3 / 5)
    # Recall per class: 1/2, 2/2, 0/1; false positives among the other rows: 1/3, 1/3, 0/4.
    assert rates["tpr_macro"](actual, predicted) == pytest.approx((1 / 2 + 1 + 0) / 3)
    assert rates["fpr_macro"](actual, predicted) == pytest.approx((1 / 3 + 1 / 3 + 0) / 3)


def test_regression_group_rates_are_the_mean_prediction_and_error():
    rates = TASKS["regression"].group_rates
    actual, predicted = np.array([1.0, 2.0, 4.0]), np.array([2.0, 2.0, 2.0])
    assert rates["mean_prediction"](actual, predicted) == pytest.approx(2.0)
    assert rates["mae"](actual, predicted) == pytest.approx(1.0)
