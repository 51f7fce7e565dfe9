import json

import mlflow.models
import pytest
from mlflow.models import ModelSignature
from mlflow.types.schema import ColSpec, Schema
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from {{ cookiecutter.package_name }}.core.description import (
    Boolean,
    Categorical,
    DataDescription,
    Numeric,
    Target,
)
from {{ cookiecutter.package_name }}.core.errors import ProjectError, UnsafeModelError
from {{ cookiecutter.package_name }}.core.tasks import TASKS, task_for
from {{ cookiecutter.package_name }}.project.schema import DATA
from {{ cookiecutter.package_name }}.serving.export import LINEAGE_FILE, MODEL_DIR, SERVING_FILE
from {{ cookiecutter.package_name }}.serving.schemas import RequestSchema
from {{ cookiecutter.package_name }}.serving.served_model import (
    ARRAY,
    DESCRIBED_FRAME,
    FLOAT_FRAME,
    ServedModel,
    load_export,
    load_model,
    warm_up,
)

from tests.saved_models import plant_pickle
from tests.synthetic import rows_of, synthetic_frame
from tests.unit.serving.conftest import TASK, assert_same_predictions, expected_predictions


def parsed(rows: list[dict], data: DataDescription = DATA):
    return RequestSchema(data, max_rows=len(rows)).parse(json.dumps(rows).encode())


def test_predictions_match_the_batch_predict_command(export, valid_frame):
    directory = export("7", threshold=0.3)
    model = load_export(directory, "export")
    request = parsed(rows_of(valid_frame))
    predictions = model.predict(request.features, request.echoed)
    assert_same_predictions(predictions, expected_predictions(directory, valid_frame, 0.3))
    # The task's outputs, after the identifiers sent.
    assert list(predictions[0]) == [*DATA.identifiers, *TASK.output_columns()]


def test_an_export_planted_with_a_pickle_is_refused_before_anything_runs(export, tmp_path):
    directory = export("7")
    marker = tmp_path / "the-model-ran-code"
    plant_pickle(directory / MODEL_DIR, marker)
    with pytest.raises(UnsafeModelError) as refused:
        load_export(directory, "export")
    assert str(refused.value).startswith(
        "export (version 7): refused to load the model: it is saved as 'pickle'"
    )
    assert not marker.exists()


def test_the_task_inputs_and_lineage_come_from_the_export(export):
    model = load_export(export("7"), "export")
    assert (model.name, model.version, model.decision_threshold) == ("test-model", "7", 0.5)
    assert (model.task.kind, model.task.classes) == (TASK.kind, TASK.classes)
    assert list(model.inputs) == DATA.feature_names
    assert model.describe()["lineage"]["run_id"] == "run-7"
    assert model.describe()["task"] == TASK.kind


def test_a_directory_that_is_not_an_export_is_refused(tmp_path):
    with pytest.raises(ProjectError, match=rf"{tmp_path}: not a model export \(no lineage"):
        load_model(str(tmp_path))


def test_a_model_taking_other_inputs_than_the_description_is_refused(export):
    directory = export("7")
    path = str(directory / MODEL_DIR)
    metadata = mlflow.models.Model.load(path)
    renamed = ["renamed", *DATA.feature_names[1:]]
    metadata.signature = ModelSignature(
        Schema([ColSpec("double", name) for name in renamed]), metadata.signature.outputs
    )
    metadata.save(f"{path}/MLmodel")
    with pytest.raises(ProjectError) as caught:
        load_export(directory, "models:/m/7")
    message = str(caught.value)
    assert message.startswith(f"models:/m/7: the model takes the inputs {renamed}, but ")
    assert f"declares the features {DATA.feature_names}" in message


@pytest.mark.parametrize("change", ["task", "classes"])
def test_a_model_exported_for_another_task_is_refused(export, change):
    directory = export("7")
    serving = json.loads((directory / SERVING_FILE).read_text())
    other = next(kind for kind in TASKS if kind != TASK.kind)
    serving[change] = other if change == "task" else ["not-a-label", *serving["classes"]]
    (directory / SERVING_FILE).write_text(json.dumps(serving))
    with pytest.raises(ProjectError) as caught:
        load_export(directory, "export")
    message = str(caught.value)
    assert message.startswith(f"export: the model was exported for task {serving['task']!r}")
    assert f"serves task {TASK.kind!r} with labels {list(TASK.classes)}" in message


def test_without_params_yaml_the_export_names_the_task(export, tmp_path, monkeypatch):
    directory = export("7")
    # As in the image: the package and the export, and no project around them.
    monkeypatch.chdir(tmp_path)
    model = load_export(directory, "export")
    assert (model.task.kind, model.task.classes) == (TASK.kind, TASK.classes)


def test_the_lineage_file_must_be_there(export):
    directory = export("7")
    (directory / LINEAGE_FILE).unlink()
    with pytest.raises(ProjectError, match="make export"):
        load_export(directory, "export")


# Descriptions of our own, whatever the project's is -----------------------------------------


def fitted(data: DataDescription, by_name: bool = True):
    """A classifier of a description's synthetic rows: numbers imputed, categories one-hot."""
    frame = synthetic_frame(data=data)
    features = data.model_frame(frame)
    numbers = [f.name for f in data.features if not isinstance(f, Categorical)]
    categories = [f.name for f in data.features if isinstance(f, Categorical)]
    if not by_name:
        numbers = [data.feature_names.index(name) for name in numbers]
    prepare = ColumnTransformer(
        [
            ("numbers", SimpleImputer(), numbers),
            (
                "categories",
                make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder()),
                categories,
            ),
        ]
    )
    model = make_pipeline(prepare, LogisticRegression())
    return model.fit(features, data.encode_target(frame[data.target.name])), features


def served(data: DataDescription, estimator, features_as: str) -> ServedModel:
    return ServedModel(
        name="m",
        version="1",
        source="test",
        estimator=estimator,
        task=task_for("binary", data),
        inputs=tuple(data.feature_names),
        decision_threshold=0.5,
        lineage={},
        features_as=features_as,
    )


SHOP = DataDescription(
    features=[
        Numeric("size", ge=0, le=10, nullable=True),
        Categorical("colour", ("red", "green", "blue"), nullable=True),
        Boolean("fresh"),
    ],
    target=Target("sold", labels=("no", "yes"), positive="yes"),
    identifiers=["shop id"],
    time="when",
)


def test_identifiers_and_time_sent_come_first_and_missing_values_are_scored():
    estimator, _ = fitted(SHOP)
    model = served(SHOP, estimator, DESCRIBED_FRAME)
    rows = [
        {"size": None, "colour": None, "fresh": True, "shop id": "s-1", "when": "2024-05-01"},
        {"size": 3.5, "colour": "blue", "fresh": False},
    ]
    request = parsed(rows, SHOP)
    first, second = model.predict(request.features, request.echoed)
    assert list(first) == ["shop id", "when", "prediction", "probability"]
    assert (first["shop id"], first["when"]) == ("s-1", "2024-05-01")
    assert list(second) == ["prediction", "probability"]
    assert {first["prediction"], second["prediction"]} <= {"no", "yes"}


# Served models take arrays without names on purpose (load_export silences this warning).
@pytest.mark.filterwarnings("ignore:X does not have valid feature names")
@pytest.mark.parametrize(("by_name", "form"), [(False, ARRAY), (True, FLOAT_FRAME)])
def test_numbers_go_to_a_model_as_an_array_unless_it_picks_columns_by_name(by_name, form):
    numbers = DataDescription(
        features=[Numeric("a"), Numeric("b", nullable=True), Boolean("c")],
        target=Target("y", labels=(0, 1), positive=1),
    )
    estimator, features = fitted(numbers, by_name)
    model = warm_up(served(numbers, estimator, FLOAT_FRAME), features.head(3))
    assert model.features_as == form
    rows = [(1.0, None, True), (50.0, 2.0, False)]
    assert model.predict(rows) == served(numbers, estimator, DESCRIBED_FRAME).predict(rows)
