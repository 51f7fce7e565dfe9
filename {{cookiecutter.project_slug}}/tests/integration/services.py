"""Start the team stack on this machine: PostgreSQL, an S3-compatible server and an MLflow
tracking server on PostgreSQL with proxied artifacts, each on a free loopback port."""

import contextlib
import logging
import os
import shutil
import signal
import socket
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

# Debian keeps the server binaries off PATH, in one directory per major version.
DEBIAN_POSTGRES = Path("/usr/lib/postgresql")
# PostgreSQL refuses to run as root; Debian's package creates this user for it.
POSTGRES_OWNER = "postgres"
DATABASE_USER = "mlflow"
DATABASE_PASSWORD = "team-stack-password"
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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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
    """Run a throwaway PostgreSQL cluster; yield the URI of its empty `mlflow` database."""
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
            address = f"postgresql://{DATABASE_USER}:{DATABASE_PASSWORD}@127.0.0.1:{port}"
            with psycopg.connect(f"{address}/postgres", autocommit=True) as connection:
                connection.execute("CREATE DATABASE mlflow")
            yield f"{address}/mlflow"
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


@contextlib.contextmanager
def mlflow_server(backend_store_uri: str, s3_endpoint: str, log: Path) -> Iterator[str]:
    """Run `mlflow server` on PostgreSQL, proxying artifacts to the S3 bucket; yield its URI."""
    port = free_port()
    command = [sys.executable, "-m", "mlflow", "server"]
    command += ["--backend-store-uri", backend_store_uri]
    command += ["--serve-artifacts", "--artifacts-destination", f"s3://{ARTIFACTS_BUCKET}"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    # Only the server holds the bucket's credentials; clients reach artifacts through it.
    env = {**os.environ, **S3_CREDENTIALS, "MLFLOW_S3_ENDPOINT_URL": s3_endpoint}
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
        postgres(binaries) as database_uri,
        s3_server(ARTIFACTS_BUCKET, DVC_BUCKET) as s3_endpoint,
        mlflow_server(database_uri, s3_endpoint, logs / "mlflow-server.log") as tracking_uri,
    ):
        yield TeamStack(tracking_uri, database_uri, s3_endpoint)
