"""A model ready to score requests: the estimator, its task, its threshold and its lineage."""

import importlib.util
import json
import tempfile
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import sklearn
import yaml

from {{ cookiecutter.package_name }}.core import model_files
from {{ cookiecutter.package_name }}.core.config import PARAMS_FILE, load_params
from {{ cookiecutter.package_name }}.core.description import DESCRIPTION_FILE, Categorical
from {{ cookiecutter.package_name }}.core.errors import ProjectError
from {{ cookiecutter.package_name }}.core.tasks import TASKS, Task, project_task
from {{ cookiecutter.package_name }}.reporting.card.files import (
    ARTIFACT_DIR,
    HTML_FILE,
    MARKDOWN_FILE,
)
from {{ cookiecutter.package_name }}.serving.export import (
    LINEAGE_FILE,
    MODEL_DIR,
    SERVING_FILE,
    export_reference,
)

# The forms a model may take its features in: with categories, the frame the description
# makes; with numbers (and booleans) only, a float array or, if the model picks its columns by
# name, a frame of floats.
FeatureForm = Literal["described frame", "array", "float frame"]
DESCRIBED_FRAME: FeatureForm = "described frame"
ARRAY: FeatureForm = "array"
FLOAT_FRAME: FeatureForm = "float frame"


@dataclass(frozen=True)
class Card:
    """A version's model card, as Markdown and as a self-contained HTML page."""

    markdown: str
    html: str


@dataclass(frozen=True, eq=False)
class ServedModel:
    name: str
    version: str
    source: str
    estimator: Any
    task: Task
    # The model's input names, as its signature gives them: the description's features.
    inputs: tuple[str, ...]
    decision_threshold: float
    lineage: dict
    features_as: FeatureForm
    # None when the export holds no card.
    card: Card | None = None

    @cached_property
    def _finite(self) -> bool:
        """Whether every value is a finite number: the request schema refuses NaN and
        infinity, and null (NaN to the model) is accepted only for a nullable feature."""
        return not any(feature.nullable for feature in self.task.data.features)

    def predict(
        self, features: Sequence[tuple], echoed: Sequence[dict[str, Any]] | None = None
    ) -> list[dict[str, Any]]:
        """The task's outputs for rows whose features are in the description's order, as
        `predict.predict_frame` gives them; each after the row's `echoed` identifiers and time."""
        # Where values are finite, scikit-learn's own check for NaN and infinity is redundant;
        # skipping it saves about a fifth of a 1-row prediction.
        with sklearn.config_context(assume_finite=self._finite):
            scores = self.task.scores(self.estimator, self._features(features))
        outputs = self.task.output_values(scores, self.decision_threshold)
        # Column by column: Python values, at a fraction of the cost of a DataFrame's.
        columns = [values.tolist() for values in outputs.values()]
        rows = [dict(zip(outputs, row, strict=True)) for row in zip(*columns, strict=True)]
        if echoed is None:
            return rows
        return [{**sent, **row} for sent, row in zip(echoed, rows, strict=True)]

    def _features(self, rows: Sequence[tuple]):
        if self.features_as == DESCRIBED_FRAME:
            data = self.task.data
            return data.model_frame(pd.DataFrame(rows, columns=data.feature_names))
        # Numbers and booleans only: None (a missing value) becomes NaN, true 1.0.
        array = np.array(rows, dtype=float)
        # A float array is several times cheaper for scikit-learn than a DataFrame.
        return array if self.features_as == ARRAY else pd.DataFrame(array, columns=self.inputs)

    def describe(self) -> dict:
        return {
            "version": self.version,
            "source": self.source,
            "task": self.task.kind,
            "decision_threshold": self.decision_threshold,
            "lineage": self.lineage,
        }


def load_model(source: str) -> ServedModel:
    """Load from the registry (`models:/...`) or from a directory made by `export`."""
    if source.startswith(model_files.REGISTRY_PREFIX):
        if importlib.util.find_spec("mlflow") is None:
            raise ProjectError(
                f"{source}: serving from the registry needs MLflow, which this environment "
                "lacks (the image installs the serving runtime alone); serve an export "
                "(`make export`, then SERVING_MODEL=build/model), or install the project's "
                "pipeline group (`uv sync`)"
            )
        with tempfile.TemporaryDirectory(prefix="serving-") as scratch:
            export = Path(scratch) / "export"
            export_reference(source, export)
            return load_export(export, source)
    return load_export(Path(source), source)


def load_export(directory: Path, source: str) -> ServedModel:
    if not (directory / LINEAGE_FILE).exists():
        raise ProjectError(
            f"{directory}: not a model export (no {LINEAGE_FILE}); create one with "
            "`make export`, or serve a registry URI such as models:/<name>@champion"
        )
    lineage = json.loads((directory / LINEAGE_FILE).read_text())
    serving = json.loads((directory / SERVING_FILE).read_text())
    task = served_task(serving, source)
    model_path = directory / MODEL_DIR
    # First, so nothing else reads a model that this refuses.
    estimator = model_files.load_estimator(model_path, f"{source} (version {lineage['version']})")
    # The MLmodel file that load_estimator has just checked, read as data again for the
    # signature and the input example: serving needs no MLflow (the image has none).
    metadata = yaml.safe_load((model_path / model_files.MLMODEL_FILE).read_text())
    inputs = signature_inputs(metadata.get("signature"), source)
    check_model_inputs(inputs, task, source)
    fitted = getattr(estimator, "feature_names_in_", None)
    if fitted is not None:
        check_model_inputs(tuple(fitted), task, source)
    # Rows may arrive as arrays, in the order checked above, so the names are not lost.
    warnings.filterwarnings("ignore", message="X does not have valid feature names")
    numbers_only = not any(isinstance(f, Categorical) for f in task.data.features)
    model = ServedModel(
        name=lineage["model_name"],
        version=lineage["version"],
        source=source,
        estimator=estimator,
        task=task,
        inputs=inputs,
        decision_threshold=serving["decision_threshold"],
        lineage=lineage,
        features_as=FLOAT_FRAME if numbers_only else DESCRIBED_FRAME,
        card=read_card(directory),
    )
    return warm_up(model, input_example(model_path, metadata.get("saved_input_example_info")))


def read_card(directory: Path) -> Card | None:
    """The model card an export holds, if it holds one."""
    markdown, html = (directory / ARTIFACT_DIR / name for name in (MARKDOWN_FILE, HTML_FILE))
    if not (markdown.exists() and html.exists()):
        return None
    return Card(markdown=markdown.read_text(), html=html.read_text())


def served_task(serving: dict, source: str) -> Task:
    """The project's task, checked against the one the model was exported for.

    In a project, params.yaml names the task; an image has no params.yaml, so there the
    export's own `serving.json` does, and the labels are still checked against schema.py.
    """
    kind = load_params().task.kind if PARAMS_FILE.exists() else serving.get("task")
    if kind not in TASKS:
        raise ProjectError(
            f"{source}: {SERVING_FILE} names the task {kind!r}, not one of {', '.join(TASKS)}; "
            "export the model again with `make export`"
        )
    task = project_task(kind)
    exported = {"task": serving.get("task"), "classes": serving.get("classes")}
    expected = {"task": task.kind, "classes": list(task.classes)}
    if exported != expected:
        raise ProjectError(
            f"{source}: the model was exported for {_task_text(exported)}, but this project "
            f"serves {_task_text(expected)} (params.yaml task.kind, {DESCRIPTION_FILE}); serve "
            "a model trained for this task, or export it again with `make export`"
        )
    return task


def _task_text(task: dict) -> str:
    return f"task {task['task']!r} with labels {task['classes']}"


def signature_inputs(signature: dict | None, source: str) -> tuple[str, ...]:
    """The input names of a model's signature, as the MLmodel file keeps it: `inputs` is a JSON
    list with a spec per input, named for a column."""
    if signature is None:
        raise ProjectError(f"{source}: the model has no signature, so its inputs are unknown")
    names = [spec.get("name") for spec in json.loads(signature["inputs"])]
    if any(not isinstance(name, str) for name in names):
        raise ProjectError(f"{source}: the signature must name its input columns")
    return tuple(names)


def input_example(model_path: Path, saved: dict | None) -> pd.DataFrame | None:
    """The rows saved with the model as its input example, or None if it has none. MLflow
    saves a table as a JSON object of `columns` and `data`; the model's own conversion of its
    features (`ServedModel._features`) gives each column its type."""
    if saved is None:
        return None
    example = json.loads((model_path / saved["artifact_path"]).read_text())
    return pd.DataFrame(example["data"], columns=example["columns"])


def check_model_inputs(inputs: tuple[str, ...], task: Task, source: str) -> None:
    """A request carries the description's features, so the model must take exactly those,
    in that order."""
    features = task.data.feature_names
    if list(inputs) != features:
        raise ProjectError(
            f"{source}: the model takes the inputs {list(inputs)}, but {DESCRIPTION_FILE} "
            f"declares the features {features}; serve a model trained on this description, "
            "or retrain it (`make repro register`)"
        )


def warm_up(model: ServedModel, example: pd.DataFrame | None) -> ServedModel:
    """Score the model's own input example, so a model that cannot be served this way fails at
    start-up rather than on the first request; the model comes back taking its features in
    the cheapest form it accepts."""
    if example is None:
        return model
    rows = list(example[list(model.inputs)].itertuples(index=False, name=None))
    if model.features_as == FLOAT_FRAME:
        model = _array_if_same(model, rows)
    try:
        model.predict(rows)
    except Exception as error:
        raise ProjectError(
            f"{model.source}: the model could not score its own input example: {error}"
        ) from error
    return model


def _array_if_same(model: ServedModel, rows: list[tuple]) -> ServedModel:
    """The model taking a float array if it scores one as it scores the frame of floats; one
    that picks its columns by name (a ColumnTransformer given names, say) keeps the frame."""
    as_array = replace(model, features_as=ARRAY)
    try:
        same = as_array.predict(rows) == model.predict(rows)
    except Exception:
        # Whatever an array made the model raise, the frame is what it was fitted on.
        return model
    return as_array if same else model
