import fractions
import pickle
import sys
from pathlib import Path

import mlflow.sklearn
import numpy as np
import pytest

from {{ cookiecutter.package_name }}.core import model_files
from {{ cookiecutter.package_name }}.core.config import load_params
from {{ cookiecutter.package_name }}.core.data import features_and_target
from {{ cookiecutter.package_name }}.core.errors import UnsafeModelError
from {{ cookiecutter.package_name }}.core.model_files import load_estimator
from {{ cookiecutter.package_name }}.project.model import TRUSTED_TYPES, build_model

from tests.saved_models import WritesMarker, edit_mlmodel, plant_code, plant_pickle, save_model
from tests.synthetic import synthetic_frame

PARAMS = load_params()
RETRAIN = "retrain it with this project's pipeline (`make repro register`)"


@pytest.fixture
def fitted():
    features, target = features_and_target(synthetic_frame())
    return build_model(PARAMS.train, PARAMS.task.kind, seed=0).fit(features, target), features


@pytest.fixture
def saved(tmp_path, fitted) -> Path:
    """The project's model, saved as the train stage logs it."""
    model, features = fitted
    return save_model(model, features, tmp_path / "model")


@pytest.fixture
def marker(tmp_path) -> Path:
    """Written by whatever a planted model runs; it must never appear."""
    return tmp_path / "the-model-ran-code"


def test_a_model_the_train_stage_saves_loads_and_predicts_as_fitted(saved, fitted):
    model, features = fitted
    loaded = load_estimator(saved)
    np.testing.assert_array_equal(loaded.predict(features), model.predict(features))


def test_mlflows_own_loader_would_run_the_planted_pickle(saved, marker, monkeypatch):
    # MLflow 3's default, stated: it unpickles what the model's MLmodel says to. This is the
    # attack the refusals below stop.
    monkeypatch.setenv("MLFLOW_ALLOW_PICKLE_DESERIALIZATION", "true")
    plant_pickle(saved, marker)
    mlflow.sklearn.load_model(str(saved))
    assert marker.exists()


def test_a_model_switched_to_pickle_is_refused_and_nothing_runs(saved, marker):
    plant_pickle(saved, marker)
    with pytest.raises(UnsafeModelError) as refused:
        load_estimator(saved, "model 'm' version 3")
    assert str(refused.value) == (
        "model 'm' version 3: refused to load the model: it is saved as 'pickle', a format "
        "that runs whatever code the file holds as it loads; only models saved with skops are "
        f"loaded; {RETRAIN}"
    )
    assert not marker.exists()


def test_a_pickle_posing_as_the_skops_file_is_refused_and_nothing_runs(saved, marker):
    (saved / "model.skops").write_bytes(pickle.dumps(WritesMarker(marker)))
    with pytest.raises(UnsafeModelError, match=r"model\.skops is not a skops file"):
        load_estimator(saved)
    assert not marker.exists()


def test_code_that_comes_with_a_model_is_refused_and_never_imported(saved, marker):
    plant_code(saved, marker, module="planted_by_the_model")
    path = list(sys.path)
    with pytest.raises(UnsafeModelError) as refused:
        load_estimator(saved)
    assert "its sklearn flavor brings code to import (code: 'code')" in str(refused.value)
    assert str(refused.value).endswith(RETRAIN)
    assert not marker.exists()
    assert sys.path == path
    assert "planted_by_the_model" not in sys.modules


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (
            lambda flavors: flavors["sklearn"].update(serialization_format="cloudpickle"),
            "it is saved as 'cloudpickle'",
        ),
        (
            lambda flavors: flavors["python_function"].update(code="code"),
            "its python_function flavor brings code to import",
        ),
        (
            lambda flavors: flavors["python_function"].update(loader_module="planted"),
            "its python_function flavor loads through 'planted', not mlflow.sklearn",
        ),
        (
            lambda flavors: flavors.update(planted={"loader_module": "planted"}),
            "its flavors are ['planted', 'python_function', 'sklearn']",
        ),
        (lambda flavors: flavors.pop("sklearn"), "its flavors are ['python_function']"),
        (
            lambda flavors: flavors["sklearn"].update(pickled_model="../../model.skops"),
            "its model file '../../model.skops' is not in",
        ),
    ],
    ids=["cloudpickle", "pyfunc code", "pyfunc loader", "other flavor", "no sklearn", "outside"],
)
def test_anything_but_the_sklearn_flavor_saved_with_skops_is_refused(saved, edit, reason):
    edit_mlmodel(saved, lambda mlmodel: edit(mlmodel["flavors"]))
    with pytest.raises(UnsafeModelError, match="refused to load the model") as refused:
        load_estimator(saved)
    assert reason in str(refused.value)


def test_a_directory_that_is_no_mlflow_model_is_refused(tmp_path):
    with pytest.raises(UnsafeModelError, match="is not an MLflow model"):
        load_estimator(tmp_path)


def test_a_type_outside_the_projects_list_is_refused_until_it_is_added(
    tmp_path, fitted, monkeypatch
):
    model, features = fitted
    # A type that skops does not trust by itself, as a model of your own may hold, and that
    # the model's own MLmodel lists as trusted.
    model.note = fractions.Fraction(1, 3)
    widened = [*TRUSTED_TYPES, "fractions.Fraction"]
    directory = save_model(model, features, tmp_path / "model", trusted_types=widened)

    with pytest.raises(UnsafeModelError) as refused:
        load_estimator(directory)
    message = str(refused.value)
    assert "it holds types this project has not reviewed: fractions.Fraction; " in message
    # Named apart: with the longest package name, the line would not fit.
    model_source = "src/{{ cookiecutter.package_name }}/project/model.py"
    assert f"add it to TRUSTED_TYPES in {model_source}" in message

    # The list obeyed is the repository's, not the one the model carries.
    monkeypatch.setattr(model_files, "TRUSTED_TYPES", widened)
    assert load_estimator(directory).note == fractions.Fraction(1, 3)
