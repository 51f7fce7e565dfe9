"""Start the team stack on this machine: PostgreSQL, an S3-compatible server and an MLflow
tracking server on PostgreSQL with proxied artifacts and basic authentication, each on a free
loopback port."""

import configparser
import contextlib
import logging
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import psycopg

from tests.integration.http_server import free_port
from tests.integration.project_copy import PROJECT_ROOT

# Debian keeps the server binaries off PATH, in one directory per major version.
DEBIAN_POSTGRES = Path("/usr/lib/postgresql")
# PostgreSQL refuses to run as root; Debian's package creates this user for it.
POSTGRES_OWNER = "postgres"
DATABASE_USER = "mlflow"
# Characters that end a URI's password field: the server gets it as libpq's PGPASSWORD, as in
# compose.yaml, never inside a connection string.
DATABASE_PASSWORD = "team@stack:pass/word#1"
# The tracking store and the auth app's users and permissions, as compose.yaml creates them.
TRACKING_DATABASE = "mlflow"
AUTH_DATABASE = "mlflow_auth"
# The auth app's settings that compose.yaml's image uses; only their database moves here.
AUTH_CONFIG = PROJECT_ROOT / "deploy" / "mlflow" / "basic_auth.ini"
# The account the auth app creates on its first start; clients pass it through the environment.
ADMIN_CREDENTIALS = {
    "MLFLOW_TRACKING_USERNAME": "team-admin",
    "MLFLOW_TRACKING_PASSWORD": "team-admin-password",
}
# Any key is valid for the test's S3 server; real ones come from the environment or
# `dvc remote modify --local`, never from a committed file.
S3_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "team-stack-key",
    "AWS_SECRET_ACCESS_KEY": "team-stack-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
}
ARTIFACTS_BUCKET = "mlflow-artifacts"
DVC_BUCKET = "dvc"
# The first start migrates an empty database, which takes a minute on a small machine.
MLFLOW_START_SECONDS = 300


@dataclass(frozen=True)
class TeamStack:
    tracking_uri: str
    # Without the password: connect with `password=DATABASE_PASSWORD`.
    database_uri: str
    s3_endpoint: str

    def bucket_keys(self, bucket: str, prefix: str = "") -> list[str]:
        """Every object key in a bucket of the stack's S3 server."""
        paginator = s3_client(self.s3_endpoint).get_paginator("list_objects_v2")
        pages = paginator.paginate(Bucket=bucket, Prefix=prefix)
        return [item["Key"] for page in pages for item in page.get("Contents", [])]


def s3_client(endpoint: str):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=S3_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=S3_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        region_name=S3_CREDENTIALS["AWS_DEFAULT_REGION"],
    )


def postgres_binaries() -> Path | None:
    """The directory holding initdb and pg_ctl: PATH's, else Debian's newest, else None."""
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).parent
    installed = [path.parent for path in DEBIAN_POSTGRES.glob("*/bin/initdb")]
    versions = [path for path in installed if path.parent.name.isdigit()]
    return max(versions, key=lambda path: int(path.parent.name), default=None)


def run_checked(command: list, log: Path | None = None) -> None:
    """Run a service's command, failing with its output (and its log) when it fails."""
    result = subprocess.run([str(part) for part in command], capture_output=True, text=True)
    if result.returncode != 0:
        logged = log.read_text() if log is not None and log.exists() else ""
        raise RuntimeError(
            f"{' '.join(map(str, command))} exited {result.returncode}:\n"
            f"{result.stdout}{result.stderr}{logged}"
        )


@contextlib.contextmanager
def postgres(binaries: Path) -> Iterator[str]:
    """Run a throwaway PostgreSQL cluster with empty tracking and auth databases; yield the
    cluster's URI (no password, no database)."""
    cluster = Path(tempfile.mkdtemp(prefix="pg-"))
    password_file = cluster / "password"
    password_file.write_text(DATABASE_PASSWORD)
    as_owner = []
    if os.geteuid() == 0:
        for path in (cluster, password_file):
            shutil.chown(path, POSTGRES_OWNER)
        as_owner = ["runuser", "-u", POSTGRES_OWNER, "--"]
    data, log, port = cluster / "data", cluster / "server.log", free_port()
    initdb = [binaries / "initdb", "-D", data, "-U", DATABASE_USER, "--auth=scram-sha-256"]
    # TCP on loopback only; the socket goes in the cluster's directory, not the system's.
    options = f"-p {port} -c listen_addresses=127.0.0.1 -k {cluster}"
    pg_ctl = [binaries / "pg_ctl", "-D", data, "-w"]
    try:
        run_checked([*as_owner, *initdb, f"--pwfile={password_file}"])
        run_checked([*as_owner, *pg_ctl, "-l", log, "-o", options, "start"], log)
        try:
            address = f"postgresql://{DATABASE_USER}@127.0.0.1:{port}"
            with psycopg.connect(
                f"{address}/postgres", password=DATABASE_PASSWORD, autocommit=True
            ) as connection:
                for database in (TRACKING_DATABASE, AUTH_DATABASE):
                    connection.execute(f"CREATE DATABASE {database}")
            yield address
        finally:
            run_checked([*as_owner, *pg_ctl, "-m", "fast", "stop"])
    finally:
        shutil.rmtree(cluster, ignore_errors=True)


@contextlib.contextmanager
def s3_server(*buckets: str) -> Iterator[str]:
    """Run an S3-compatible server in this process; yield its endpoint URL."""
    from moto.server import ThreadedMotoServer

    # Its web server would log every request of every client.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        client = s3_client(endpoint)
        for bucket in buckets:
            client.create_bucket(Bucket=bucket)
        yield endpoint
    finally:
        server.stop()


def wait_until_healthy(uri: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + MLFLOW_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"mlflow server exited {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{uri}/health", timeout=5):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(1)
    raise RuntimeError(
        f"mlflow server not healthy after {MLFLOW_START_SECONDS} s:\n{log.read_text()}"
    )


def stop_session(process: subprocess.Popen) -> None:
    """Stop a process started in a session of its own, and everything it started."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def auth_config(database_uri: str, directory: Path) -> Path:
    """The image's auth settings with the auth app's users kept in this database instead."""
    config = configparser.ConfigParser()
    config.read(AUTH_CONFIG)
    config["mlflow"]["database_uri"] = database_uri
    path = directory / "basic_auth.ini"
    with path.open("w") as output:
        config.write(output)
    return path


def server_environment(auth_config_path: Path, s3_endpoint: str) -> dict[str, str]:
    """What compose.yaml gives its `mlflow` service: the secrets come from the environment."""
    return {
        # Only the server holds the bucket's credentials; clients reach artifacts through it.
        **S3_CREDENTIALS,
        "MLFLOW_S3_ENDPOINT_URL": s3_endpoint,
        "PGPASSWORD": DATABASE_PASSWORD,
        "MLFLOW_AUTH_CONFIG_PATH": str(auth_config_path),
        "MLFLOW_AUTH_ADMIN_USERNAME": ADMIN_CREDENTIALS["MLFLOW_TRACKING_USERNAME"],
        "MLFLOW_AUTH_ADMIN_PASSWORD": ADMIN_CREDENTIALS["MLFLOW_TRACKING_PASSWORD"],
        "MLFLOW_FLASK_SERVER_SECRET_KEY": secrets.token_hex(32),
        # As the image sets it (deploy/mlflow/Dockerfile): no background job runner.
        "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
    }


@contextlib.contextmanager
def mlflow_server(cluster_uri: str, s3_endpoint: str, log: Path) -> Iterator[str]:
    """Run `mlflow server` with basic authentication on PostgreSQL, proxying artifacts to the
    S3 bucket; yield its URI."""
    port = free_port()
    command = [sys.executable, "-m", "mlflow", "server", "--app-name", "basic-auth"]
    command += ["--backend-store-uri", f"{cluster_uri}/{TRACKING_DATABASE}"]
    command += ["--serve-artifacts", "--artifacts-destination", f"s3://{ARTIFACTS_BUCKET}"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    config = auth_config(f"{cluster_uri}/{AUTH_DATABASE}", log.parent)
    env = {**os.environ, **server_environment(config, s3_endpoint)}
    with log.open("w") as output:
        # A session of its own, so stopping it stops its worker processes too.
        process = subprocess.Popen(
            command, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    uri = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(uri, process, log)
        yield uri
    finally:
        stop_session(process)


@contextlib.contextmanager
def team_stack(binaries: Path, logs: Path) -> Iterator[TeamStack]:
    """PostgreSQL, an S3-compatible server, and an MLflow server using both."""
    with (
        postgres(binaries) as cluster_uri,
        s3_server(ARTIFACTS_BUCKET, DVC_BUCKET) as s3_endpoint,
        mlflow_server(cluster_uri, s3_endpoint, logs / "mlflow-server.log") as tracking_uri,
    ):
        yield TeamStack(tracking_uri, f"{cluster_uri}/{TRACKING_DATABASE}", s3_endpoint)
