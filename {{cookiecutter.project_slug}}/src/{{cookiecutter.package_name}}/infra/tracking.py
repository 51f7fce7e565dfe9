"""Connect to MLflow: the embedded sqlite store by default, a server when configured."""

import os
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import mlflow
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from {{ cookiecutter.package_name }}.core.config import tracking_uri
from {{ cookiecutter.package_name }}.core.errors import TrackingError

SERVER_PROBE_TIMEOUT_SECONDS = 5
# Where MLflow's client takes a server's credentials from, with every request.
CREDENTIAL_VARIABLES = ("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD")


def sqlite_path(uri: str) -> Path | None:
    """Return the database file of a sqlite URI, or None for other stores."""
    prefix = "sqlite:///"
    return Path(uri.removeprefix(prefix)) if uri.startswith(prefix) else None


def connect() -> MlflowClient:
    """Point MLflow at the configured store, failing with one clear line if it is unusable."""
    uri = _credentials_to_environment(tracking_uri())
    database = sqlite_path(uri)
    if database is not None and not database.exists():
        raise TrackingError(
            f"MLflow store {uri}: the database does not exist yet; "
            "create it once with `make setup` "
            "(or `python -m {{ cookiecutter.package_name }} init-tracking`)"
        )
    if uri.startswith(("http://", "https://")):
        _probe_server(uri)
        _check_credentials(uri)
    mlflow.set_tracking_uri(uri)
    # Progress bars for local file copies only clutter logs.
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    return MlflowClient(uri)


def init_store() -> str:
    """Create the embedded store's schema once, so later concurrent writers never migrate it;
    return the store's URI as a message may show it."""
    uri = _credentials_to_environment(tracking_uri())
    if uri.startswith(("http://", "https://")):
        _probe_server(uri)
        _check_credentials(uri)
    MlflowClient(uri).search_experiments(max_results=1)
    return redacted(uri)


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


def redacted(uri: str) -> str:
    """The URI as a message may show it: what is written before an @ in it (a user name and
    password, in http://user:secret@host or postgresql://user:secret@host/db) becomes ***."""
    return _with_userinfo(uri, "***@")


def _with_userinfo(uri: str, userinfo: str) -> str:
    parts = urllib.parse.urlsplit(uri)
    _, at, host = parts.netloc.rpartition("@")
    return urllib.parse.urlunsplit(parts._replace(netloc=userinfo + host)) if at else uri


def _credentials_to_environment(uri: str) -> str:
    """The server URI without the user name and password written in it, which go where MLflow's
    client reads credentials from instead: its messages quote the URL it requests, so a password
    in the URL would show in any of them."""
    parts = urllib.parse.urlsplit(uri)
    if parts.scheme not in ("http", "https") or parts.password is None:
        return uri
    for variable, value in zip(CREDENTIAL_VARIABLES, (parts.username, parts.password), strict=True):
        os.environ[variable] = urllib.parse.unquote(value)
    return _with_userinfo(uri, "")


def _probe_server(uri: str) -> None:
    try:
        # B310: only http(s) URIs come here (connect, init_store), never file: or another scheme.
        with urllib.request.urlopen(  # nosec B310
            f"{_with_userinfo(uri, '').rstrip('/')}/health", timeout=SERVER_PROBE_TIMEOUT_SECONDS
        ):
            return
    except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
        reason = getattr(error, "reason", error)
        raise TrackingError(
            f"MLflow tracking server {redacted(uri)} is not reachable ({reason}); "
            "start it or fix MLFLOW_TRACKING_URI"
        ) from None


def _check_credentials(uri: str) -> None:
    """Fail with one line naming the fix when a server with authentication refuses this client.

    MLflow's client sends MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD from the
    environment with every request; a server with its basic-auth app answers 401 without them.
    """
    try:
        MlflowClient(uri).search_experiments(max_results=1)
    except MlflowException as error:
        if error.error_code != "UNAUTHENTICATED":
            raise
        user = os.environ.get("MLFLOW_TRACKING_USERNAME")
        refused = (
            f"refused user {user!r} (wrong user name or password)"
            if user and os.environ.get("MLFLOW_TRACKING_PASSWORD")
            else "requires credentials and none were given"
        )
        raise TrackingError(
            f"the MLflow tracking server {refused}; set MLFLOW_TRACKING_USERNAME and "
            "MLFLOW_TRACKING_PASSWORD in the environment to your account on that server"
        ) from None
