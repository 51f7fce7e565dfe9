"""Load a saved model without running anything that came with it: the one way models load here.

MLflow's own loader obeys the model's MLmodel file: `serialization_format: pickle` unpickles
(which runs whatever the file says), the types skops may build come from the file itself, and
`code:` paths join sys.path. Anyone who can write a registered version or an exported directory
could then run code wherever a model loads: in serving, in the gate, in CI. So the gate,
evaluate, predict, score and serving all load through `load_estimator`, which reads the MLmodel
as data and refuses, before anything from the model is imported or built, any model but a
scikit-learn one saved with skops, any code that comes with it, and any type outside the list
this repository keeps (model.TRUSTED_TYPES). Then skops builds the estimator from that list.
"""

import tempfile
import zipfile
from pathlib import Path

import yaml

from {{ cookiecutter.package_name }}.core.errors import UnsafeModelError
from {{ cookiecutter.package_name }}.project.model import TRUSTED_TYPES

REGISTRY_PREFIX = "models:/"
MLMODEL_FILE = "MLmodel"
SKLEARN_FLAVOR = "sklearn"
# MLflow adds this flavor to every model it logs; it must load through the sklearn flavor.
PYFUNC_FLAVOR = "python_function"
PYFUNC_LOADER = "mlflow.sklearn"
SKOPS = "skops"
RETRAIN = "retrain it with this project's pipeline (`make repro register`)"
MODEL_SOURCE = "src/{{ cookiecutter.package_name }}/project/model.py"
REVIEW = f"review each as you would review code, then add it to TRUSTED_TYPES in {MODEL_SOURCE}"


def load_estimator(location: str | Path, source: str | None = None):
    """The scikit-learn estimator of an MLflow model: a local directory, or a `models:/` URI
    whose files are downloaded first. Errors name `source`, the location by default."""
    source = source or str(location)
    if not str(location).startswith(REGISTRY_PREFIX):
        return _load_directory(Path(location), source)
    # Here rather than at the top: serving an export (the image) needs no MLflow, and has none.
    import mlflow.artifacts

    with tempfile.TemporaryDirectory(prefix="model-") as scratch:
        # Files only: downloading imports nothing and builds nothing from them.
        directory = mlflow.artifacts.download_artifacts(
            artifact_uri=str(location), dst_path=scratch
        )
        return _load_directory(Path(directory), source)


def _load_directory(directory: Path, source: str):
    model_file = _checked_model_file(directory, source)
    # Here rather than at the top: skops imports scikit-learn, which most commands never need.
    import skops.io

    try:
        found = skops.io.get_untrusted_types(file=model_file)
    except zipfile.BadZipFile:
        raise _refusal(source, f"{model_file.name} is not a skops file", RETRAIN) from None
    unreviewed = sorted(set(found) - set(TRUSTED_TYPES))
    if unreviewed:
        raise _refusal(
            source,
            f"it holds types this project has not reviewed: {', '.join(unreviewed)}",
            f"if your model needs them, {REVIEW}; otherwise {RETRAIN}",
        )
    return skops.io.load(model_file, trusted=TRUSTED_TYPES)


def _checked_model_file(directory: Path, source: str) -> Path:
    """The skops file of an MLflow model directory, once its MLmodel passes every check."""
    flavors = _flavors(directory, source)
    sklearn = flavors.get(SKLEARN_FLAVOR)
    others = sorted(set(flavors) - {SKLEARN_FLAVOR, PYFUNC_FLAVOR})
    if not isinstance(sklearn, dict) or others:
        raise _refusal(
            source,
            f"its flavors are {sorted(flavors)}, and this project loads only scikit-learn models "
            f"(the {SKLEARN_FLAVOR!r} flavor)",
            RETRAIN,
        )
    loader = flavors.get(PYFUNC_FLAVOR, {}).get("loader_module", PYFUNC_LOADER)
    if loader != PYFUNC_LOADER:
        raise _refusal(
            source,
            f"its {PYFUNC_FLAVOR} flavor loads through {loader!r}, not {PYFUNC_LOADER}",
            RETRAIN,
        )
    for name, flavor in flavors.items():
        if flavor.get("code"):
            raise _refusal(
                source,
                f"its {name} flavor brings code to import (code: {flavor['code']!r}), which would "
                "run as the model loads",
                RETRAIN,
            )
    serialization = sklearn.get("serialization_format")
    if serialization != SKOPS:
        raise _refusal(
            source,
            f"it is saved as {serialization!r}, a format that runs whatever code the file holds "
            f"as it loads; only models saved with {SKOPS} are loaded",
            RETRAIN,
        )
    model_file = directory / str(sklearn.get("pickled_model"))
    if not model_file.resolve().is_relative_to(directory.resolve()) or not model_file.is_file():
        raise _refusal(
            source,
            f"its model file {sklearn.get('pickled_model')!r} is not in {directory}",
            RETRAIN,
        )
    return model_file


def _flavors(directory: Path, source: str) -> dict[str, dict]:
    path = directory / MLMODEL_FILE
    if not path.is_file():
        raise _refusal(
            source, f"{directory} is not an MLflow model (no {MLMODEL_FILE} file)", RETRAIN
        )
    try:
        # Plain data: safe_load builds no objects from tags.
        flavors = (yaml.safe_load(path.read_text()) or {}).get("flavors")
    except (yaml.YAMLError, AttributeError, UnicodeDecodeError):
        flavors = None
    if not isinstance(flavors, dict) or not all(isinstance(f, dict) for f in flavors.values()):
        raise _refusal(source, f"{path} does not describe the model's flavors", RETRAIN)
    return flavors


def _refusal(source: str, reason: str, fix: str) -> UnsafeModelError:
    return UnsafeModelError(f"{source}: refused to load the model: {reason}; {fix}")
