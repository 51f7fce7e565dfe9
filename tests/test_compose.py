"""The generated compose.yaml: valid against the Compose specification, and its services
consistent with each other, with the MLflow server's Dockerfile and with the serving image;
MLflow signs every client in, ports stay on loopback unless configured, images are pinned."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.baking import bake_into

SLUG = "my-ml-project"
COMPOSE_FILE = "compose.yaml"
SECRET_NAME = re.compile(r"PASSWORD|SECRET|ACCESS_KEY")
URL_HOST = re.compile(r"^(?:[a-z0-9+]+://)(?:[^@/]*@)?([a-z0-9-]+):(\d+)")
# HOST:PORT:CONTAINER_PORT, the host address and port each from a variable with a default.
LOOPBACK_PORT = re.compile(r"^\$\{[A-Z0-9_]+_BIND:-127\.0\.0\.1\}:\$\{[A-Z0-9_]+_PORT:-\d+\}:\d+$")
# A version in the tag: digits, not a moving name such as latest.
PINNED_TAG = re.compile(r":[^:/]*\d[^:/]*$")


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return bake_into(tmp_path_factory.mktemp("compose"))


@pytest.fixture(scope="module")
def services(project) -> dict[str, dict]:
    return yaml.safe_load((project / COMPOSE_FILE).read_text())["services"]


def test_the_compose_file_matches_the_compose_specification(project):
    check = [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec"]
    result = subprocess.run(
        [*check, str(project / COMPOSE_FILE)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_stack_has_its_four_parts(services):
    assert {"postgres", "object-storage", "mlflow", "serving"} <= set(services)


def words(service: dict) -> list[str]:
    """The service's command and environment values, where it names other services."""
    command = service.get("command", [])
    arguments = command if isinstance(command, list) else [command]
    return [*arguments, *service.get("environment", {}).values()]


def test_services_only_name_services_that_exist(services):
    dependencies = [
        (name, dependency)
        for name, service in services.items()
        for dependency in service.get("depends_on", {})
    ]
    hosts = [
        (name, address.group(1))
        for name, service in services.items()
        for word in words(service)
        for line in str(word).splitlines()
        if (address := URL_HOST.search(line.split("=", 1)[-1]))
    ]
    # The stack's services reach each other: a check over no name would pass on nothing.
    assert dependencies
    assert hosts
    for name, other in dependencies + hosts:
        assert other in services, (name, other)


def test_mlflow_runs_on_postgresql_and_proxies_the_artifacts(services):
    command = services["mlflow"]["command"]
    assert command[:2] == ["mlflow", "server"]
    backend = next(arg for arg in command if arg.startswith("--backend-store-uri="))
    assert backend.startswith("--backend-store-uri=postgresql://")
    assert "@postgres:5432/" in backend
    # The password goes to libpq aside, so `@`, `:` or `/` in it cannot break the address.
    assert "PASSWORD" not in backend
    assert services["mlflow"]["environment"]["PGPASSWORD"].startswith("${POSTGRES_PASSWORD:?")
    assert "--serve-artifacts" in command
    destination = next(arg for arg in command if arg.startswith("--artifacts-destination="))
    bucket = destination.removeprefix("--artifacts-destination=s3://").split("/")[0]
    # The bucket is one that the `buckets` service creates before the server starts.
    assert f'"{bucket}"' in services["buckets"]["command"][-1]
    assert services["mlflow"]["depends_on"]["buckets"]["condition"] == (
        "service_completed_successfully"
    )
    assert services["mlflow"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_the_mlflow_image_is_built_from_files_in_the_project(project, services):
    build = services["mlflow"]["build"]
    dockerfile = project / build["context"] / build["dockerfile"]
    sources = [
        source
        for line in dockerfile.read_text().splitlines()
        if line.startswith("COPY ")
        for source in line.split()[1:-1]
    ]
    assert sources
    # .dockerignore leaves out everything it does not name with `!`.
    admitted = (project / build["context"] / ".dockerignore").read_text().splitlines()
    for source in sources:
        assert (project / build["context"] / source).exists(), source
        assert f"!{source}" in admitted, source
    assert "uv sync --locked" in dockerfile.read_text()
    # The auth app's dependencies come from the lock file too.
    assert "--group server" in dockerfile.read_text()


def test_mlflow_signs_every_client_in(project, services):
    mlflow = services["mlflow"]
    assert "--app-name=basic-auth" in mlflow["command"]
    environment = mlflow["environment"]
    for required in ("MLFLOW_AUTH_ADMIN_PASSWORD", "MLFLOW_FLASK_SERVER_SECRET_KEY"):
        assert environment[required].startswith(f"${{{required}:?"), required
    # The auth app keeps its users in a database that PostgreSQL creates on its first start.
    dockerfile = (project / mlflow["build"]["dockerfile"]).read_text()
    config = re.search(r"MLFLOW_AUTH_CONFIG_PATH=(\S+)", dockerfile).group(1)
    settings = (project / "deploy/mlflow" / Path(config).name).read_text()
    database = re.search(r"^database_uri = postgresql://\w+@postgres:5432/(\w+)$", settings, re.M)
    assert database, settings
    initdb = yaml.safe_load((project / COMPOSE_FILE).read_text())["configs"]
    created = {
        initdb[entry["source"]]["content"].strip()
        for entry in services["postgres"]["configs"]
        if entry["target"].startswith("/docker-entrypoint-initdb.d/")
    }
    assert f"CREATE DATABASE {database.group(1)};" in created


def test_every_port_is_on_loopback_unless_configured(services):
    published = [port for service in services.values() for port in service.get("ports", [])]
    assert published
    for port in published:
        assert LOOPBACK_PORT.match(port), port


def test_every_pulled_image_is_pinned(services):
    built = {name: service for name, service in services.items() if "build" in service}
    # serving runs the project's own release, whose tag `make image` prints.
    pulled = {name: service for name, service in services.items() if name not in built}
    pulled.pop("serving")
    assert built
    assert pulled
    for name, service in built.items():
        # Built here from the lock file, never pulled.
        assert service["pull_policy"] == "build", name
    for name, service in pulled.items():
        assert PINNED_TAG.search(service["image"]), (name, service["image"])


def test_serving_is_the_project_image_on_port_8000(services):
    serving = services["serving"]
    # A release tag that must be given: its default is no image's, so never a moving `latest`,
    # and only `up serving` needs it.
    assert serving["image"] == f"${{IMAGE:-{SLUG}}}:${{TAG:-set-TAG-to-the-tag-make-image-printed}}"
    assert serving["profiles"] == ["serving"]
    assert serving["ports"] == ["${SERVING_BIND:-127.0.0.1}:${SERVING_PORT:-8000}:8000"]
    assert "http://127.0.0.1:8000/ready" in " ".join(serving["healthcheck"]["test"])
    assert serving["environment"]["MLFLOW_TRACKING_URI"] == "http://mlflow:5000"


def test_no_secret_is_written_in_the_file(services):
    secrets = [
        (name, key, value)
        for name, service in services.items()
        for key, value in service.get("environment", {}).items()
        if SECRET_NAME.search(key)
    ]
    assert secrets
    for name, key, value in secrets:
        assert str(value).startswith("${"), (name, key)
