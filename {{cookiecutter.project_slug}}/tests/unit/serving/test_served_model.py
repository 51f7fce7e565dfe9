import json

import pytest

from {{ cookiecutter.package_name }}.errors import ProjectError
from {{ cookiecutter.package_name }}.predict import predict_frame
from {{ cookiecutter.package_name }}.schema import FEATURES
from {{ cookiecutter.package_name }}.serving.export import LINEAGE_FILE
from {{ cookiecutter.package_name }}.serving.served_model import load_export, load_model


def test_predictions_match_the_batch_predict_command(export, valid_frame):
    model = load_export(export("7", threshold=0.3), "export")
    features = valid_frame[list(FEATURES)]
    expected = predict_frame(model.estimator, features, decision_threshold=0.3)
    predictions = model.predict(list(features.itertuples(index=False, name=None)))
    assert predictions.probability == pytest.approx(expected["probability"].tolist())
    assert predictions.prediction == expected["prediction"].tolist()
    assert json.loads(predictions.to_json())[0] == {
        "probability": predictions.probability[0],
        "prediction": predictions.prediction[0],
    }


def test_the_inputs_and_lineage_come_from_the_export(export):
    model = load_export(export("7"), "export")
    assert (model.name, model.version, model.decision_threshold) == ("test-model", "7", 0.5)
    assert [column.name for column in model.columns] == list(FEATURES)
    assert {column.type for column in model.columns} == {float}
    assert model.describe()["lineage"]["run_id"] == "run-7"


def test_a_directory_that_is_not_an_export_is_refused(tmp_path):
    with pytest.raises(ProjectError, match=rf"{tmp_path}: not a model export \(no lineage"):
        load_model(str(tmp_path))


def test_an_estimator_fitted_on_other_columns_is_refused(export):
    directory = export("7")
    mlmodel = directory / "model" / "MLmodel"
    mlmodel.write_text(mlmodel.read_text().replace('"mean_radius"', '"radius"'))
    with pytest.raises(ProjectError, match="fitted on columns"):
        load_export(directory, "export")


def test_the_lineage_file_must_be_there(export):
    directory = export("7")
    (directory / LINEAGE_FILE).unlink()
    with pytest.raises(ProjectError, match="make export"):
        load_export(directory, "export")
