"""The MLflow model registry: register, promote, roll back, and describe versions.

Aliases carry the state: `challenger` is the newest registered version, `champion` the one
that serves. Every champion names the champion it replaced, so a rollback walks that chain.
Nothing here deletes a model version.
"""

import contextlib
import getpass
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime

import mlflow
from filelock import FileLock
from mlflow import MlflowClient
from mlflow.entities import Run
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException

from {{ cookiecutter.package_name }}.core import model_files
from {{ cookiecutter.package_name }}.core.config import Params
from {{ cookiecutter.package_name }}.core.errors import ProjectError
from {{ cookiecutter.package_name }}.infra import tracking
from {{ cookiecutter.package_name }}.registry import lineage
from {{ cookiecutter.package_name }}.registry.aliases import CHALLENGER, CHAMPION

PREVIOUS_CHAMPION_TAG = "previous_champion"
MODEL_HASH_TAG = "model_md5"
# The stage that judges the model: a model it has not scored is not registered.
EVALUATE_STAGE = "evaluate"
# Lineage facts copied from the training run onto its model version.
RUN_LINEAGE_TAGS = ("git_commit", "git_branch", "git_dirty", "raw_data_md5", "train_data_md5")


@dataclass(frozen=True)
class Registration:
    version: ModelVersion
    created: bool


def registered_version(client: MlflowClient, name: str, model_md5: str) -> ModelVersion | None:
    """Return the version already registered for this model file, if any."""
    found = client.search_model_versions(
        f"name = '{name}' and tags.{MODEL_HASH_TAG} = '{model_md5}'"
    )
    return min(found, key=lambda version: int(version.version)) if found else None


def register(params: Params) -> Registration:
    """Register the model from the last `dvc repro` as `challenger`, once per model file."""
    hashes = lineage.dvc_lock_hashes()
    model_md5 = hashes.get(str(params.paths.model))
    if model_md5 is None:
        raise ProjectError(
            f"dvc.lock has no hash for {params.paths.model}; run `make repro` before registering"
        )
    evaluated = lineage.dvc_lock_stages().get(EVALUATE_STAGE, {}).get("deps", {})
    if evaluated.get(str(params.paths.model)) != model_md5 or not params.paths.metrics.exists():
        raise ProjectError(
            f"the model in {params.paths.model} has no metrics: the last `dvc repro` stopped "
            "before the evaluate stage; run `make repro` to the end before registering"
        )
    training_run = json.loads(params.paths.training_run.read_text())
    client = tracking.connect()
    name = params.mlflow.model_name
    # Serialise check-then-create for the embedded store. A tracking server offers no lock, so
    # two machines registering the same model file at the same moment may both add a version.
    database = tracking.sqlite_path(tracking.tracking_uri())
    lock = (
        FileLock(database.with_name(database.name + ".lock"))
        if database
        else contextlib.nullcontext()
    )
    with lock:
        existing = registered_version(client, name, model_md5)
        if existing is not None:
            return Registration(existing, created=False)
        run = training_run_in_store(client, training_run["run_id"], params)
        tags = {
            **{key: run.data.tags[key] for key in RUN_LINEAGE_TAGS if key in run.data.tags},
            **lineage.ci_facts(),
            MODEL_HASH_TAG: model_md5,
            "raw_data_md5": hashes.get(str(params.paths.raw_data), "unknown"),
            "params_digest": lineage.params_digest(params.model_dump(mode="json")),
            "run_id": training_run["run_id"],
        }
        # Creates the registered model on the first registration and says so; after that, and
        # where another writer has just created it, it adds a version.
        version = mlflow.register_model(training_run["model_uri"], name, tags=tags)
        client.set_registered_model_alias(name, CHALLENGER, version.version)
    return Registration(client.get_model_version(name, version.version), created=True)


def training_run_in_store(client: MlflowClient, run_id: str, params: Params) -> Run:
    """The run that trained the model, which must be in the store the registry is in."""
    try:
        return client.get_run(run_id)
    except MlflowException as error:
        if error.error_code != "RESOURCE_DOES_NOT_EXIST":
            raise
    raise ProjectError(
        f"{params.paths.training_run} names the training run {run_id}, which the MLflow store "
        f"{tracking.redacted(tracking.tracking_uri())} does not hold: the model was trained "
        "against another store. Set MLFLOW_TRACKING_URI to that store, or train again into "
        "this one with `dvc repro --force`"
    )


def version_by_alias(client: MlflowClient, name: str, alias: str) -> ModelVersion | None:
    try:
        return client.get_model_version_by_alias(name, alias)
    except MlflowException:
        return None


def promote(client: MlflowClient, name: str, version: str, reason: str) -> ModelVersion | None:
    """Make `version` the champion, recording who, when and why; return the one it replaced."""
    previous = version_by_alias(client, name, CHAMPION)
    if previous is not None and str(previous.version) == str(version):
        return previous
    stamp = {
        "promoted_by": promoter(),
        "promoted_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "promotion_reason": reason,
    }
    if previous is not None:
        stamp[PREVIOUS_CHAMPION_TAG] = str(previous.version)
    for key, value in stamp.items():
        client.set_model_version_tag(name, str(version), key, value)
    client.set_registered_model_alias(name, CHAMPION, str(version))
    return previous


def rollback(client: MlflowClient, name: str) -> tuple[ModelVersion, ModelVersion]:
    """Move `champion` back to the champion it replaced; return (demoted, restored)."""
    current = version_by_alias(client, name, CHAMPION)
    if current is None:
        raise ProjectError(
            f"model {name!r} has no champion, so there is nothing to roll back; make one with "
            "`make promote` (or by hand: `make promote VERSION=<n>`)"
        )
    previous_version = current.tags.get(PREVIOUS_CHAMPION_TAG)
    if not previous_version:
        raise ProjectError(
            f"champion {name!r} version {current.version} replaced no earlier champion, so "
            "there is none to roll back to; promote the version to serve by hand: "
            "`make promote VERSION=<n>`"
        )
    client.set_registered_model_alias(name, CHAMPION, previous_version)
    client.set_model_version_tag(
        name,
        str(current.version),
        "rolled_back",
        f"{datetime.now(UTC).isoformat(timespec='seconds')} by {promoter()}",
    )
    return current, client.get_model_version(name, previous_version)


def resolve(client: MlflowClient, name: str, reference: str) -> ModelVersion:
    """Find a version from an alias, a version number, or a `models:/` URI."""
    if reference.startswith("models:/"):
        name, _, reference = reference.removeprefix("models:/").replace("@", "/").partition("/")
    try:
        if reference.isdigit():
            return client.get_model_version(name, reference)
        return client.get_model_version_by_alias(name, reference)
    except MlflowException:
        raise ProjectError(f"model {name!r} has no version or alias {reference!r}") from None


def load_estimator(version: ModelVersion):
    """Load a registered version as the scikit-learn estimator it was logged as, refusing a
    model file that could run code (model_files.py)."""
    return model_files.load_estimator(
        f"models:/{version.name}/{version.version}",
        f"model {version.name!r} version {version.version}",
    )


def lineage_record(client: MlflowClient, version: ModelVersion) -> dict:
    """Return the chain from a model version back to its run, commit, data and params."""
    run_id = version.run_id or version.tags.get("run_id")
    run = client.get_run(run_id) if run_id else None
    return {
        "model_name": version.name,
        "version": str(version.version),
        "model_uri": f"models:/{version.name}/{version.version}",
        "aliases": sorted(version.aliases),
        "registered_at": datetime.fromtimestamp(version.creation_timestamp / 1000, UTC).isoformat(),
        "run_id": run_id,
        "tags": dict(sorted(version.tags.items())),
        "params": dict(sorted(run.data.params.items())) if run else {},
        "metrics": dict(sorted(run.data.metrics.items())) if run else {},
        "datasets": [
            {
                "name": item.dataset.name,
                "digest": item.dataset.digest,
                "source": item.dataset.source,
            }
            for item in (run.inputs.dataset_inputs if run else [])
        ],
    }


def lineage_text(record: dict) -> str:
    """A lineage record (lineage_record) as lines to read."""
    tags = record["tags"]
    dirty = " (uncommitted changes)" if tags.get("git_dirty") == "true" else ""
    return "\n".join(
        [
            f"{record['model_uri']}  aliases: {', '.join(record['aliases']) or '-'}",
            f"  run        {record['run_id']}",
            f"  commit     {tags.get('git_commit', 'unknown')} on {tags.get('git_branch', '?')}"
            f"{dirty}",
            f"  raw data   md5 {tags.get('raw_data_md5', 'unknown')}",
            f"  model      md5 {tags.get('model_md5', 'unknown')}",
            f"  params     digest {tags.get('params_digest', 'unknown')}",
            *(f"    {key} = {value}" for key, value in record["params"].items()),
            "  metrics",
            *(f"    {key} = {value:.4f}" for key, value in record["metrics"].items()),
        ]
    )


def promoter() -> str:
    """Name whoever is promoting: the CI's actor when there is one, else the local user."""
    for variable in ("GITHUB_ACTOR", "BUILD_REQUESTEDFOR", "GITLAB_USER_LOGIN"):
        if os.environ.get(variable):
            return os.environ[variable]
    try:
        return getpass.getuser()
    except OSError:
        return f"uid {os.getuid()}"
