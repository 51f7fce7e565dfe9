"""Connect to MLflow: the embedded sqlite store by default, a server when configured."""

import os
import urllib.error
import urllib.request
from pathlib import Path

import mlflow
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from {{ cookiecutter.package_name }}.config import tracking_uri
from {{ cookiecutter.package_name }}.errors import TrackingError

SERVER_PROBE_TIMEOUT_SECONDS = 5


def sqlite_path(uri: str) -> Path | None:
    """Return the database file of a sqlite URI, or None for other stores."""
    prefix = "sqlite:///"
    return Path(uri.removeprefix(prefix)) if uri.startswith(prefix) else None


def connect() -> MlflowClient:
    """Point MLflow at the configured store, failing with one clear line if it is unusable."""
    uri = tracking_uri()
    database = sqlite_path(uri)
    if database is not None and not database.exists():
        raise TrackingError(
            f"MLflow store {uri}: the database does not exist yet; "
            "create it once with `make setup` (or `python -m {{ cookiecutter.package_name }} init-tracking`)"
        )
    if uri.startswith(("http://", "https://")):
        _probe_server(uri)
    mlflow.set_tracking_uri(uri)
    # Progress bars for local file copies only clutter logs.
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    return MlflowClient(uri)


def init_store() -> str:
    """Create the embedded store's schema once, so later concurrent writers never migrate it."""
    uri = tracking_uri()
    if uri.startswith(("http://", "https://")):
        _probe_server(uri)
    MlflowClient(uri).search_experiments(max_results=1)
    return uri


def ensure_experiment(client: MlflowClient, name: str) -> str:
    experiment = client.get_experiment_by_name(name)
    if experiment is not None:
        return experiment.experiment_id
    try:
        return client.create_experiment(name)
    except MlflowException as error:
        # Another process created it between the lookup and the creation.
        if error.error_code != "RESOURCE_ALREADY_EXISTS":
            raise
        return client.get_experiment_by_name(name).experiment_id


def _probe_server(uri: str) -> None:
    try:
        with urllib.request.urlopen(
            f"{uri.rstrip('/')}/health", timeout=SERVER_PROBE_TIMEOUT_SECONDS
        ):
            return
    except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
        reason = getattr(error, "reason", error)
        raise TrackingError(
            f"MLflow tracking server {uri} is not reachable ({reason}); "
            "start it or fix MLFLOW_TRACKING_URI"
        ) from None
