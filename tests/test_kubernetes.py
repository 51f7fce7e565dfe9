"""The generated Kubernetes manifests: every file valid against Kubernetes' own schemas, every
overlay rendered as `make manifests` renders it, and the pieces consistent with each other and
with the serving image (port 8000, /ready and /health): images by digest, pulled on every start,
a route in for predictions and probes only, over TLS, and pods that take no other traffic."""

import csv
import json
import os
import re
import subprocess
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from tests.baking import bake_into
from tests.commands import require_tool

SLUG = "my-ml-project"
MANIFESTS = Path("deploy/kubernetes")
KUSTOMIZATION = "kustomization.yaml"
OVERLAYS = ("staging", "production")
# The oldest release the manifests promise to work on, and the newest the validator knows.
KUBERNETES_VERSIONS = ("1.31.0", kubernetes_validate.latest_version())
SERVING_PORT = 8000
CANARY_ANNOTATION = "nginx.ingress.kubernetes.io/canary"
CANARY_WEIGHT_ANNOTATION = "nginx.ingress.kubernetes.io/canary-weight"
BODY_SIZE_ANNOTATION = "nginx.ingress.kubernetes.io/proxy-body-size"
# Releases run images by digest, as `make deploy` records them.
RELEASE = f"registry.example.com/team/{SLUG}@sha256:{'1' * 64}"
CANARY_RELEASE = f"registry.example.com/team/{SLUG}@sha256:{'2' * 64}"
# What the Ingress lets through to the service; everything else stays inside the cluster.
ROUTED_PATHS = {"/predict", "/ready", "/health"}
# The service's default bound on rows per request (SERVING_MAX_BATCH_ROWS).
LARGEST_BATCH_ROWS = 1000
SIZE_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return bake_into(tmp_path_factory.mktemp("kubernetes"))


def kustomizations(project: Path) -> list[Path]:
    return sorted((project / MANIFESTS).rglob(KUSTOMIZATION))


def references(kustomization: Path) -> dict[str, list[Path]]:
    """The files and directories a kustomization names, by field."""
    config = yaml.safe_load(kustomization.read_text())
    here = kustomization.parent
    return {
        "resources": [here / name for name in config.get("resources", [])],
        "components": [here / name for name in config.get("components", [])],
        "patches": [here / patch["path"] for patch in config.get("patches", []) if "path" in patch],
    }


def validate(document: dict, version: str, where: str) -> None:
    try:
        kubernetes_validate.validate(document, version, strict=True)
    except kubernetes_validate.ValidationError as error:
        kind, name = document.get("kind"), document.get("metadata", {}).get("name")
        pytest.fail(f"{where}: {kind} {name} is not valid Kubernetes {version}: {error.message}")


def test_every_kustomization_names_files_that_exist(project):
    found = kustomizations(project)
    assert found
    for kustomization in found:
        for field, paths in references(kustomization).items():
            for path in paths:
                assert path.is_file() or (path / KUSTOMIZATION).is_file(), (
                    f"{kustomization.relative_to(project)}: {field} names {path.name}, "
                    "which does not exist"
                )


def test_every_manifest_file_is_used(project):
    used = set(kustomizations(project))
    for kustomization in kustomizations(project):
        used |= {path.resolve() for paths in references(kustomization).values() for path in paths}
    assert set((project / MANIFESTS).rglob("*.yaml")) - used == set()


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_resource_file_matches_the_kubernetes_schema(project, version):
    files = [
        path
        for kustomization in kustomizations(project)
        for path in references(kustomization)["resources"]
        if path.is_file()
    ]
    assert len(files) >= 6
    for path in files:
        for document in yaml.safe_load_all(path.read_text()):
            validate(document, version, str(path.relative_to(project)))


def make(project: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "VIRTUAL_ENV"}
    result = subprocess.run(["make", *args], cwd=project, capture_output=True, text=True, env=env)
    if check:
        assert result.returncode == 0, f"make {' '.join(args)}:\n{result.stdout}{result.stderr}"
    return result


def render(project: Path, environment: str, *variables: str) -> list[dict]:
    """Run `make manifests` as a release would, and read what it rendered."""
    require_tool("kubectl", "its built-in kustomize renders the Kubernetes overlays")
    make(project, "manifests", f"ENVIRONMENT={environment}", f"IMAGE_REF={RELEASE}", *variables)
    rendered = project / "build/kubernetes" / environment / "manifests.yaml"
    return list(yaml.safe_load_all(rendered.read_text()))


def of_kind(documents: list[dict], kind: str) -> dict[str, dict]:
    return {doc["metadata"]["name"]: doc for doc in documents if doc["kind"] == kind}


@pytest.fixture(scope="module", params=OVERLAYS)
def overlay(request, project) -> tuple[str, list[dict]]:
    return request.param, render(project, request.param)


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_each_rendered_overlay_matches_the_kubernetes_schema(overlay, version):
    environment, documents = overlay
    assert documents
    for document in documents:
        validate(document, version, f"overlay {environment}")


def test_every_deployment_is_probed_limited_and_unprivileged(overlay):
    environment, documents = overlay
    deployments = of_kind(documents, "Deployment")
    assert SLUG in deployments
    for name, deployment in deployments.items():
        assert deployment["metadata"]["namespace"] == f"{SLUG}-{environment}", name
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        (container,) = pod["containers"]
        assert container["ports"] == [{"name": "http", "containerPort": SERVING_PORT}], name
        assert container["readinessProbe"]["httpGet"] == {"path": "/ready", "port": "http"}
        assert container["livenessProbe"]["httpGet"] == {"path": "/health", "port": "http"}
        for bound in ("requests", "limits"):
            assert set(container["resources"][bound]) == {"cpu", "memory"}, (name, bound)
        assert container["securityContext"]["allowPrivilegeEscalation"] is False, name
        assert container["securityContext"]["capabilities"]["drop"] == ["ALL"], name
        # A release is an image digest, pulled on every start: a node never runs a stale copy.
        assert "@sha256:" in container["image"], name
        assert container["imagePullPolicy"] == "Always", name


def test_the_committed_image_is_a_placeholder_no_cluster_can_pull(project):
    deployment = yaml.safe_load((project / MANIFESTS / "serving/deployment.yaml").read_text())
    image = deployment["spec"]["template"]["spec"]["containers"][0]["image"]
    # .invalid is a reserved top-level domain: `kubectl apply -k` alone never starts a pod.
    assert image.startswith("registry.invalid/")
    assert re.search(r"@sha256:[0-9a-f]{64}$", image)


def selects(selector: dict[str, str], deployment: dict) -> bool:
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    return selector.items() <= labels.items()


def test_services_autoscaler_and_ingresses_point_at_what_exists(overlay):
    _, documents = overlay
    deployments = of_kind(documents, "Deployment")
    services = of_kind(documents, "Service")
    autoscalers = of_kind(documents, "HorizontalPodAutoscaler")
    budgets = of_kind(documents, "PodDisruptionBudget")
    ingresses = of_kind(documents, "Ingress")
    # Every overlay has each of these: a check over none of them would pass on nothing.
    for found in (services, autoscalers, budgets, ingresses):
        assert found
    # Each Service selects the pods of exactly one Deployment: one track each.
    for name, service in services.items():
        chosen = [d for d in deployments.values() if selects(service["spec"]["selector"], d)]
        assert len(chosen) == 1, (name, [d["metadata"]["name"] for d in chosen])
        assert service["spec"]["ports"][0]["targetPort"] == "http"
    for autoscaler in autoscalers.values():
        target = autoscaler["spec"]["scaleTargetRef"]
        assert (target["kind"], target["name"]) == ("Deployment", SLUG)
    for budget in budgets.values():
        selector = budget["spec"]["selector"]["matchLabels"]
        assert [d for d in deployments.values() if selects(selector, d)] == [deployments[SLUG]]
    for name, ingress in ingresses.items():
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                assert path["backend"]["service"]["name"] in services, name


def ingress_routes(ingress: dict) -> list[tuple[str, str]]:
    rules = ingress["spec"]["rules"]
    return [(rule["host"], path["path"]) for rule in rules for path in rule["http"]["paths"]]


def test_production_sends_a_share_of_requests_to_the_canary(project):
    documents = render(project, "production")
    ingresses = of_kind(documents, "Ingress")
    stable, canary = ingresses[SLUG], ingresses[f"{SLUG}-canary"]
    assert CANARY_ANNOTATION not in stable["metadata"].get("annotations", {})
    assert canary["metadata"]["annotations"][CANARY_ANNOTATION] == "true"
    assert canary["metadata"]["annotations"][CANARY_WEIGHT_ANNOTATION] == "10"
    # ingress-nginx pairs a canary with the Ingress of the same host and path.
    assert ingress_routes(canary) == ingress_routes(stable)
    backend = canary["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"]
    assert backend == f"{SLUG}-canary"
    assert of_kind(documents, "Deployment")[f"{SLUG}-canary"]["spec"]["replicas"] == 1


def test_staging_has_no_canary(project):
    documents = render(project, "staging")
    assert set(of_kind(documents, "Deployment")) == {SLUG}
    assert all(
        CANARY_ANNOTATION not in ingress["metadata"].get("annotations", {})
        for ingress in of_kind(documents, "Ingress").values()
    )


def images(documents: list[dict]) -> dict[str, str]:
    return {
        name: deployment["spec"]["template"]["spec"]["containers"][0]["image"]
        for name, deployment in of_kind(documents, "Deployment").items()
    }


def test_a_release_sets_both_images_and_the_canary_weight(project):
    release = [f"CANARY_IMAGE_REF={CANARY_RELEASE}", "CANARY_WEIGHT=25"]
    documents = render(project, "production", *release)
    assert images(documents) == {SLUG: RELEASE, f"{SLUG}-canary": CANARY_RELEASE}
    canary = of_kind(documents, "Ingress")[f"{SLUG}-canary"]
    assert canary["metadata"]["annotations"][CANARY_WEIGHT_ANNOTATION] == "25"

    # Rendering again without a weight goes back to the overlay's; the canary follows IMAGE_REF.
    documents = render(project, "production")
    assert set(images(documents).values()) == {RELEASE}
    canary = of_kind(documents, "Ingress")[f"{SLUG}-canary"]
    assert canary["metadata"]["annotations"][CANARY_WEIGHT_ANNOTATION] == "10"


@pytest.mark.parametrize(
    ("action", "stable", "weight"),
    [("canary-rollback", RELEASE, "0"), ("canary-promote", CANARY_RELEASE, "0")],
)
def test_the_canary_actions_render_what_they_apply(project, tmp_path, action, stable, weight):
    """`make canary`'s actions on Kubernetes: roll back keeps the stable image and sends the
    canary nothing; promote puts the canary's image on the stable track. With no cluster to
    reach, the apply fails after rendering, and nothing is recorded as released."""
    require_tool("kubectl", "its built-in kustomize renders the Kubernetes overlays")
    record = project / "build/release/image"
    record.unlink(missing_ok=True)
    env = {**os.environ, "KUBECONFIG": str(tmp_path / "no-cluster")}
    env.pop("VIRTUAL_ENV", None)
    variables = ["DEPLOY_TARGET=kubernetes", "ENVIRONMENT=production", f"IMAGE_REF={RELEASE}",
                 f"CANARY_IMAGE_REF={CANARY_RELEASE}"]  # fmt: skip
    result = subprocess.run(
        ["make", action, *variables], cwd=project, capture_output=True, text=True, env=env
    )
    assert result.returncode != 0
    assert "kubectl apply -f build/kubernetes/production/manifests.yaml" in result.stdout
    rendered = project / "build/kubernetes/production/manifests.yaml"
    documents = list(yaml.safe_load_all(rendered.read_text()))
    assert images(documents) == {SLUG: stable, f"{SLUG}-canary": CANARY_RELEASE}
    canary = of_kind(documents, "Ingress")[f"{SLUG}-canary"]
    assert canary["metadata"]["annotations"][CANARY_WEIGHT_ANNOTATION] == weight
    assert not record.exists()


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        (["ENVIRONMENT=prod"], "ENVIRONMENT=prod has no overlay"),
        (["ENVIRONMENT=production", "CANARY_WEIGHT=101"], "CANARY_WEIGHT=101 is not a whole"),
    ],
)
def test_a_wrong_environment_or_weight_is_refused(project, variables, message):
    result = make(project, "manifests", *variables, check=False)
    assert result.returncode != 0
    assert message in result.stderr


def size_in_bytes(size: str) -> int:
    """An nginx size such as 8m, in bytes."""
    number, unit = re.fullmatch(r"(\d+)([kmg]?)", size.lower()).groups()
    return int(number) * SIZE_UNITS[unit]


def largest_batch_bytes(project: Path) -> int:
    """The JSON of the largest batch the service accepts, made of the sample table's rows."""
    params = yaml.safe_load((project / "params.yaml").read_text())
    with (project / params["paths"]["raw_data"]).open(newline="") as table:
        rows = list(csv.DictReader(table))
    batch = [rows[index % len(rows)] for index in range(LARGEST_BATCH_ROWS)]
    return len(json.dumps({"rows": batch}).encode())


def test_ingresses_route_predictions_and_probes_only_over_tls(project, overlay):
    _, documents = overlay
    ingresses = of_kind(documents, "Ingress")
    assert ingresses
    for name, ingress in ingresses.items():
        (rule,) = ingress["spec"]["rules"]
        paths = rule["http"]["paths"]
        assert {path["path"] for path in paths} == ROUTED_PATHS, name
        assert {path["pathType"] for path in paths} == {"Exact"}, name
        (tls,) = ingress["spec"]["tls"]
        assert tls["hosts"] == [rule["host"]], name
        assert tls["secretName"], name
        # ingress-nginx's default (1m) would refuse a legitimate batch before the service sees it.
        body_size = ingress["metadata"]["annotations"][BODY_SIZE_ANNOTATION]
        assert size_in_bytes(body_size) >= largest_batch_bytes(project), name


def test_the_namespace_denies_by_default_and_serving_takes_only_what_it_needs(overlay):
    environment, documents = overlay
    policies = of_kind(documents, "NetworkPolicy")
    default_deny = policies.pop("default-deny")
    assert default_deny["spec"]["podSelector"] == {}
    assert set(default_deny["spec"]["policyTypes"]) == {"Ingress", "Egress"}
    # No rule: nothing allowed either way.
    assert {"ingress", "egress"}.isdisjoint(default_deny["spec"])
    deployments = of_kind(documents, "Deployment")
    assert deployments
    assert policies
    # Every serving pod is covered by a policy of its own track, with the same allowances.
    for name, deployment in deployments.items():
        assert selects(policies[name]["spec"]["podSelector"]["matchLabels"], deployment), name
    for name, policy in policies.items():
        assert policy["metadata"]["namespace"] == f"{SLUG}-{environment}", name
        (allowed_in,) = policy["spec"]["ingress"]
        (source,) = allowed_in["from"]
        assert source == {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}
        }, name
        assert allowed_in["ports"] == [{"port": "http", "protocol": "TCP"}], name
        (allowed_out,) = policy["spec"]["egress"]
        assert {(port["port"], port["protocol"]) for port in allowed_out["ports"]} == {
            (53, "UDP"),
            (53, "TCP"),
        }, name
