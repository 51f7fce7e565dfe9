"""Export a registered model version to a directory that needs no tracking server to serve.

The directory holds the MLflow model (`model/`), its lineage record (`lineage.json`, as
`lineage --json` prints it), what serving needs besides (`serving.json`: the task, its
classes and the decision threshold), so an image serves it without params.yaml, and the model
card that `make card` attached to the version's run (`model_card/`), if there is one.
"""

import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from {{ cookiecutter.package_name }}.core.config import load_params
from {{ cookiecutter.package_name }}.core.errors import ProjectError
from {{ cookiecutter.package_name }}.core.tasks import Task, project_task
from {{ cookiecutter.package_name }}.reporting.card.files import (
    ARTIFACT_DIR,
    HTML_FILE,
    MARKDOWN_FILE,
)

# MLflow and the registry only in the functions that export: serving reads an export's file
# names from here, and the image, which serves one, has no MLflow.
if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities.model_registry import ModelVersion

MODEL_DIR = "model"
LINEAGE_FILE = "lineage.json"
SERVING_FILE = "serving.json"


def export_reference(reference: str, destination: Path) -> "ModelVersion":
    """Export the version that an alias, number or `models:/` URI names, with params.yaml's
    task and decision threshold."""
    from {{ cookiecutter.package_name }}.infra import tracking
    from {{ cookiecutter.package_name }}.registry import versions as registry

    params = load_params()
    client = tracking.connect()
    version = registry.resolve(client, params.mlflow.model_name, reference)
    task = project_task(params.task.kind)
    export_version(client, version, destination, task, params.evaluate.decision_threshold)
    return version


def export_version(
    client: "MlflowClient",
    version: "ModelVersion",
    destination: Path,
    task: Task,
    decision_threshold: float,
) -> None:
    import mlflow.artifacts

    from {{ cookiecutter.package_name }}.registry import versions as registry

    _replace_previous_export(destination)
    mlflow.artifacts.download_artifacts(
        artifact_uri=f"models:/{version.name}/{version.version}",
        dst_path=str(destination / MODEL_DIR),
    )
    record = registry.lineage_record(client, version)
    (destination / LINEAGE_FILE).write_text(json.dumps(record, indent=2) + "\n")
    write_serving_file(destination, task, decision_threshold)
    run_id = record["run_id"]
    attached = (
        {item.path for item in client.list_artifacts(run_id, ARTIFACT_DIR)} if run_id else set()
    )
    if {f"{ARTIFACT_DIR}/{name}" for name in (MARKDOWN_FILE, HTML_FILE)} <= attached:
        client.download_artifacts(run_id, ARTIFACT_DIR, str(destination))


def write_serving_file(destination: Path, task: Task, decision_threshold: float) -> None:
    """What serving needs beside the model: the task, its labels in class order (the model
    returns class numbers) and the threshold a binary task predicts the positive label from."""
    serving = {
        "task": task.kind,
        "classes": list(task.classes),
        "decision_threshold": decision_threshold,
    }
    (destination / SERVING_FILE).write_text(json.dumps(serving, indent=2) + "\n")


def image_labels(destination: Path) -> dict[str, str]:
    """The image's build arguments that name the exported model and where it came from."""
    lineage_file = destination / LINEAGE_FILE
    if not lineage_file.exists():
        raise ProjectError(f"{lineage_file}: not found; run `make export` first")
    record = json.loads(lineage_file.read_text())
    return {
        "MODEL_NAME": record["model_name"],
        "MODEL_VERSION": record["version"],
        "MODEL_RUN_ID": record["run_id"] or "unknown",
        "GIT_COMMIT": record["tags"].get("git_commit", "unknown"),
    }


def _replace_previous_export(destination: Path) -> None:
    """Make the destination empty, deleting only what an earlier export wrote there."""
    if destination.exists() and any(destination.iterdir()):
        if not (destination / LINEAGE_FILE).exists():
            raise ProjectError(
                f"{destination}: exists and is not a model export, so it is left alone; "
                "export to a new or empty directory"
            )
        shutil.rmtree(destination)
    destination.mkdir(parents=True, exist_ok=True)
