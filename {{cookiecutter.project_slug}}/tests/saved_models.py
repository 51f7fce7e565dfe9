"""Models saved as the train stage saves them, and the same files planted with code to run.

A planted model writes a marker file if anything from it ever runs: MLflow's own loader would
run it, so a test that loads one through the project and finds no marker shows nothing did.
"""

import pickle
from collections.abc import Callable
from pathlib import Path

import mlflow.sklearn
import pandas as pd
import yaml
from mlflow.models import infer_signature

from {{ cookiecutter.package_name }}.project.model import TRUSTED_TYPES

MLMODEL = "MLmodel"
PAYLOAD_FILE = "model.pkl"


def save_model(
    model,
    features: pd.DataFrame,
    directory: Path,
    trusted_types: list[str] = TRUSTED_TYPES,
    example: bool = True,
) -> Path:
    """Save a fitted model as the train stage logs it: with skops and the project's types,
    or the types given, which the MLmodel then lists as its own. Without an example, the
    signature names the inputs only, and nothing scores the model before a request does."""
    mlflow.sklearn.save_model(
        model,
        str(directory),
        signature=infer_signature(features, model.predict(features) if example else None),
        input_example=features.head(2) if example else None,
        # Listing requirements skips MLflow's slow inference of them.
        pip_requirements=mlflow.sklearn.get_default_pip_requirements(),
        serialization_format="skops",
        skops_trusted_types=trusted_types,
    )
    return directory


class WritesMarker:
    """Unpickling this writes the marker: what a payload's os.system does, but harmless."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return Path.write_text, (self.marker, "code from the model file ran\n")


def edit_mlmodel(directory: Path, edit: Callable[[dict], None]) -> None:
    path = directory / MLMODEL
    mlmodel = yaml.safe_load(path.read_text())
    edit(mlmodel)
    path.write_text(yaml.safe_dump(mlmodel))


def plant_pickle(directory: Path, marker: Path) -> None:
    """Switch a saved model to pickle, with a payload that writes `marker` as it is unpickled:
    the MLmodel stays MLflow's own, so MLflow's loader would unpickle it."""
    (directory / PAYLOAD_FILE).write_bytes(pickle.dumps(WritesMarker(marker)))
    (directory / "model.skops").unlink()

    def to_pickle(mlmodel: dict) -> None:
        mlmodel["flavors"]["sklearn"].update(
            serialization_format="pickle", pickled_model=PAYLOAD_FILE
        )
        mlmodel["flavors"]["python_function"]["model_path"] = PAYLOAD_FILE

    edit_mlmodel(directory, to_pickle)


def plant_code(directory: Path, marker: Path, module: str) -> None:
    """Add a `code:` entry holding `module`, which writes `marker` when imported: MLflow's
    loader puts the entry first on sys.path, where it shadows what the model imports."""
    code = directory / "code"
    code.mkdir()
    (code / f"{module}.py").write_text(
        f"from pathlib import Path\nPath({str(marker)!r}).write_text('imported')\n"
    )

    def add_code(mlmodel: dict) -> None:
        mlmodel["flavors"]["sklearn"]["code"] = code.name

    edit_mlmodel(directory, add_code)
