"""checkov, offline, on the generated project: its Dockerfiles, its Kubernetes manifests (each
file, and each kustomization as kustomize renders it) and every file for committed secrets. No
check fails; a check is skipped only with its reason written beside its id.

checkov has no Compose framework: compose.yaml goes through the secrets scan here, and
test_compose.py checks its ports, pins and credentials."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.baking import bake_into
from tests.commands import require_tool

CHECKOV = Path(sys.executable).with_name("checkov")
# The frameworks for the files this test answers for; the CI files have zizmor's tests.
FRAMEWORKS = ("dockerfile", "kubernetes", "kustomize", "secrets")
DOCKERFILES = {"/Dockerfile", "/deploy/mlflow/Dockerfile"}
# A reason is a sentence, not a placeholder.
MIN_REASON_WORDS = 5


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, dict]:
    """checkov's report per framework, for a freshly baked project."""
    require_tool("kubectl", "its built-in kustomize renders the Kubernetes overlays")
    project = bake_into(tmp_path_factory.mktemp("checkov"))
    command = [str(CHECKOV), "--skip-download", "--output", "json"]
    command += ["--directory", str(project), "--framework", *FRAMEWORKS]
    result = subprocess.run(command, capture_output=True, text=True, cwd=project)
    # checkov exits 1 when a check fails; anything else is checkov itself failing.
    assert result.returncode in (0, 1), result.stderr
    found = json.loads(result.stdout)
    return {
        report["check_type"]: report for report in (found if isinstance(found, list) else [found])
    }


def test_every_framework_scanned_the_files_it_answers_for(reports):
    assert {"dockerfile", "kubernetes", "kustomize"} <= set(reports)
    for report in reports.values():
        assert report["summary"]["parsing_errors"] == 0, report["check_type"]
    results = reports["dockerfile"]["results"]
    scanned = {check["file_path"] for kind in results.values() for check in kind}
    assert scanned == DOCKERFILES
    rendered = {
        check["resource"] for kind in reports["kustomize"]["results"].values() for check in kind
    }
    for environment in ("staging", "production"):
        assert any(resource.startswith(f"overlay:{environment}:") for resource in rendered)


def test_no_check_fails(reports):
    failed = [
        f"{check['check_id']} ({check['check_name']}) in {check['file_path']}: {check['resource']}"
        for report in reports.values()
        for check in report["results"]["failed_checks"]
    ]
    assert failed == []


def test_every_skipped_check_says_why(reports):
    for report in reports.values():
        for check in report["results"]["skipped_checks"]:
            reason = check["check_result"].get("suppress_comment") or ""
            assert len(reason.split()) >= MIN_REASON_WORDS, (
                f"{check['check_id']} in {check['file_path']} is skipped without a reason"
            )
