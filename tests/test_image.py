"""Build the serving image with a real Docker engine and call the running container over HTTP."""

import json
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import yaml

from tests.baking import bake_into, package_of
from tests.commands import make, project_python, require_tool
from tests.described import describe, project_path, request_rows
from tests.docker_engine import base_image, docker, require_engine
from tests.processes import free_port
from tests.served import call

pytestmark = [pytest.mark.slow, pytest.mark.docker]

IMAGE = "mlops-template-serving-test"
TAG = "test"
HEALTHY_TIMEOUT_SECONDS = 180
# Prometheus scrapes (and evaluates its rules) this often in the test, and answers within this.
PROMETHEUS_INTERVAL = "1s"
PROMETHEUS_SECONDS = 60
# The container's key for /predict and the full /model (SERVING_API_KEY, 16 characters at least).
API_KEY = "image-test-key-0123456789"
# Libraries of the generated project's groups that the image leaves out (pipeline, dask, team).
PIPELINE_MODULES = ("mlflow", "dvc", "pandera", "matplotlib", "dask", "distributed", "boto3")
# The image, its base included, in Docker's megabytes (10^6 bytes): some 400 on the test's
# 123 MB bookworm base, of which the serving runtime's shared libraries are 145 MB and its
# bytecode 55 MB; a library of another group installed by mistake puts it over.
IMAGE_MAX_MB = 410


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    require_engine()
    project = bake_into(tmp_path_factory.mktemp("image"))
    make(project, "setup")
    make(project, "repro", "register", "promote", "card")
    return project


@pytest.fixture(scope="module")
def image(project, tmp_path_factory) -> str:
    base = base_image(tmp_path_factory.mktemp("base"))
    # The legacy builder (no buildx here) on the host's network: nothing crosses a bridge.
    make(
        project, "image", f"BASE_IMAGE={base}", f"IMAGE={IMAGE}", f"TAG={TAG}",
        "DOCKER_BUILDKIT=0", "DOCKER_BUILD_FLAGS=--network host",
    )  # fmt: skip
    return f"{IMAGE}:{TAG}"


@pytest.fixture(scope="module")
def container(image):
    port = free_port()
    name = f"{IMAGE}-{port}"
    docker(
        "run", "--detach", "--name", name, "--network", "host",
        "--env", f"PORT={port}", "--env", f"SERVING_API_KEY={API_KEY}", image,
    )  # fmt: skip
    try:
        wait_until_healthy(name)
        yield name, f"http://127.0.0.1:{port}"
    finally:
        docker("rm", "--force", name, check=False)


def wait_until_healthy(name: str) -> None:
    deadline = time.monotonic() + HEALTHY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        state = json.loads(docker("inspect", "--format", "{{json .State}}", name).stdout)
        if not state["Running"]:
            pytest.fail(f"the container stopped:\n{docker('logs', name).stderr}")
        if state.get("Health", {}).get("Status") == "healthy":
            return
        time.sleep(1)
    pytest.fail(f"the container never became healthy:\n{docker('logs', name).stderr}")


def registry_lineage(project: Path) -> dict:
    """The champion's lineage as the project's own CLI reads it from the registry."""
    result = project_python(project, "-m", package_of(project), "lineage", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_container_predicts_over_http(project, container):
    name, url = container
    assert call(f"{url}/ready") == (200, {"status": "ready", "champion": "1"})
    description = describe(project)
    first_row = request_rows(project, project_path(project, "raw_data"))[0]
    assert call(f"{url}/predict", first_row)[0] == 401
    # The prediction log is the container's standard output; other tests predict too.
    earlier = len(docker("logs", name).stdout.splitlines())
    status, answer = call(f"{url}/predict", first_row, API_KEY)
    assert status == 200
    assert answer["model_version"] == "1"
    assert answer["predictions"][0]["prediction"] in description.classes
    status, rejected = call(f"{url}/predict", {}, API_KEY)
    assert status == 422
    missing = f"missing field {description.features[0]!r}"
    assert missing in [problem["msg"] for problem in rejected["detail"]]
    logged = [json.loads(line) for line in docker("logs", name).stdout.splitlines()[earlier:]]
    assert [line["outputs"] for line in logged] == [answer["predictions"]]


def test_the_container_describes_its_model_with_no_tracking_server(project, container):
    _, url = container
    status, public = call(f"{url}/model")
    assert status == 200
    assert public["champion"]["version"] == "1"
    assert "lineage" not in public["champion"]
    status, described = call(f"{url}/model", api_key=API_KEY)
    assert status == 200
    assert described["champion"]["lineage"] == registry_lineage(project)


def test_the_container_serves_the_card_of_its_version(container):
    _, url = container
    request = urllib.request.Request(
        f"{url}/model/card.md", headers={"Authorization": f"Bearer {API_KEY}"}
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert answer.headers["X-Model-Version"] == "1"
        card = answer.read().decode()
    assert card.startswith("### Model card: ")
    assert " version 1\n" in card.splitlines(keepends=True)[0]


def test_the_image_is_labelled_with_the_model_and_its_commit(project, image):
    labels = json.loads(
        docker("image", "inspect", "--format", "{{json .Config.Labels}}", image).stdout
    )
    record = registry_lineage(project)
    commit = record["tags"]["git_commit"]
    assert {key: labels[key] for key in labels if key.startswith("model.")} == {
        "model.name": record["model_name"],
        "model.version": "1",
        "model.run_id": record["run_id"],
        "model.git_commit": commit,
    }
    assert labels["org.opencontainers.image.revision"] == commit


def test_the_container_is_unprivileged_and_holds_only_the_model_and_its_environment(container):
    name, _ = container
    assert docker("exec", name, "id", "-u").stdout.strip() == "10001"
    assert sorted(docker("exec", name, "ls", "-A", "/app").stdout.split()) == [".venv", "model"]


def test_the_image_holds_the_serving_runtime_alone(container):
    """The pipeline's libraries stay out of the image: its Dockerfile installs the generated
    project's dependencies, none of its groups."""
    name, _ = container
    check = (
        "import importlib.util; "
        f"print(*(m for m in {PIPELINE_MODULES!r} if importlib.util.find_spec(m) is not None))"
    )
    assert docker("exec", name, "python", "-c", check).stdout.split() == []


def test_the_image_stays_within_its_size(image):
    size_mb = int(docker("image", "inspect", "--format", "{{.Size}}", image).stdout) / 1e6
    assert size_mb <= IMAGE_MAX_MB, f"the image is {size_mb:.1f} MB, over {IMAGE_MAX_MB} MB"


def test_the_image_holds_the_bytecode_of_what_the_service_imports(project, container):
    """The container's user cannot write bytecode, so the image holds it for every module the
    app imports: without it, each start would compile them again (/ready after 5 s, not 2)."""
    name, _ = container
    check = (
        "import importlib, importlib.util, os, sys; "
        f"importlib.import_module('{package_of(project)}.serving.app'); "
        "print(*(f for m in list(sys.modules.values()) "
        "if (f := getattr(m, '__file__', None) or '').endswith('.py') "
        "and not os.path.exists(importlib.util.cache_from_source(f))))"
    )
    assert docker("exec", name, "python", "-c", check).stdout.split() == []


def prometheus_query(url: str, query: str) -> list[dict]:
    address = f"{url}/api/v1/query?{urllib.parse.urlencode({'query': query})}"
    with urllib.request.urlopen(address, timeout=5) as answer:
        return json.loads(answer.read())["data"]["result"]


def wait_for_result(url: str, query: str, server: subprocess.Popen, log: Path) -> float:
    """The value of the query's one series, once Prometheus has one."""
    deadline = time.monotonic() + PROMETHEUS_SECONDS
    while time.monotonic() < deadline:
        assert server.poll() is None, log.read_text()[-3000:]
        try:
            result = prometheus_query(url, query)
        except OSError:  # not listening yet
            result = []
        if result:
            (series,) = result
            return float(series["value"][1])
        time.sleep(1)
    pytest.fail(f"Prometheus had no result for {query} within {PROMETHEUS_SECONDS} s")


def test_prometheus_scrapes_the_container_and_records_its_rules(project, container, tmp_path):
    """The project's Prometheus configuration and rules, with the container as the target and
    a faster clock: the requests sent reach the recorded rate of the version that served them."""
    require_tool("prometheus", "it scrapes the serving container in a test")
    _, url = container
    monitoring = project / "deploy/prometheus"
    config = yaml.safe_load((monitoring / "prometheus.yml").read_text())
    config["global"] = {
        "scrape_interval": PROMETHEUS_INTERVAL,
        "evaluation_interval": PROMETHEUS_INTERVAL,
    }
    config["rule_files"] = [str(monitoring / path) for path in config["rule_files"]]
    (job,) = config["scrape_configs"]
    job["static_configs"] = [{"targets": [url.removeprefix("http://")]}]
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    prometheus_url = f"http://127.0.0.1:{free_port()}"
    log = tmp_path / "prometheus.log"
    with log.open("w") as stderr:
        server = subprocess.Popen(
            ["prometheus", f"--config.file={tmp_path / 'prometheus.yml'}",
             f"--storage.tsdb.path={tmp_path / 'data'}",
             f"--web.listen-address={prometheus_url.removeprefix('http://')}"],
            stdout=subprocess.DEVNULL, stderr=stderr,
        )  # fmt: skip
    try:
        counted = 'sum(serving_requests_total{mode="served"})'
        rate = 'model_version_mode:serving_requests:rate5m{model_version="1", mode="served"}'
        # A rate needs an increase between two scrapes: the requests go after the first.
        wait_for_result(prometheus_url, 'up{job="serving"} == 1', server, log)
        before = wait_for_result(prometheus_url, counted, server, log)
        row = request_rows(project, project_path(project, "raw_data"))[0]
        sent = 5
        for _ in range(sent):
            assert call(f"{url}/predict", row, API_KEY)[0] == 200
        wait_for_result(prometheus_url, f"{counted} >= {before + sent}", server, log)
        assert wait_for_result(prometheus_url, f"{rate} > 0", server, log) > 0
        assert prometheus_query(prometheus_url, 'ALERTS{alertstate="firing"}') == []
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_a_local_canary_runs_in_the_release_container_until_rolled_back(project, image):
    """`make release CANARY_MODEL=<export>` runs the release's container with the export beside
    the champion, answering CANARY_WEIGHT percent of the callers; `make canary-rollback` (what
    `make canary` runs on a breach) runs it again without."""
    canary = "build/canary"
    exported = project_python(
        project, "-m", package_of(project), "export", "--model", "champion", "--output", canary
    )
    assert exported.returncode == 0, exported.stderr
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    release = [
        f"IMAGE={IMAGE}", "ENVIRONMENT=canary", f"IMAGE_REF={image}", f"SMOKE_URL={url}",
        f"DOCKER_RUN_FLAGS=--network host --env PORT={port}",
    ]  # fmt: skip
    name = f"{IMAGE}-canary"
    try:
        make(project, "release", *release, f"CANARY_MODEL={canary}", "CANARY_WEIGHT=50")
        wait_until_healthy(name)
        both = {"status": "ready", "champion": "1", "challenger": "1"}
        assert call(f"{url}/ready") == (200, both)
        make(project, "canary-rollback", *release)
        wait_until_healthy(name)
        assert call(f"{url}/ready") == (200, {"status": "ready", "champion": "1"})
    finally:
        docker("rm", "--force", name, check=False)


def test_deploy_without_a_registry_keeps_the_image_local(project):
    output = make(project, "deploy")
    assert "REGISTRY is not set: " in output
    assert "nothing to push" in output
