"""The report's content, from a real git repository with DVC; posting it to each provider's
API, against a real HTTP server on loopback."""

import json
import os
import shutil
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
import yaml

from {{ cookiecutter.package_name }}.adopt.project import PIPELINE_FILE
from {{ cookiecutter.package_name }}.core.config import PARAMS_FILE, load_params
from {{ cookiecutter.package_name }}.core.errors import ProjectError
from {{ cookiecutter.package_name }}.core.tasks import project_task
from {{ cookiecutter.package_name }}.reporting.ci import (
    build_report,
    not_posted_reason,
    post_report,
)

PARAMS = load_params()
PRIMARY = PARAMS.gate.primary_metric
METRICS = {name: 0.5 for name in project_task(PARAMS.task.kind).metrics}


class Recorder(BaseHTTPRequestHandler):
    received: ClassVar[list[dict]] = []

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        self.received.append(
            {
                "path": self.path,
                "headers": dict(self.headers),
                "body": json.loads(self.rfile.read(length)),
            }
        )
        self.send_response(201)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def api():
    Recorder.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", Recorder.received
    server.shutdown()


def test_github_comments_on_the_pull_request(api, tmp_path):
    url, received = api
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 12}}))
    summary = tmp_path / "summary.md"
    env = {
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_TOKEN": "t0ken",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_API_URL": url,
        "GITHUB_REPOSITORY": "owner/repo",
        "GITHUB_STEP_SUMMARY": str(summary),
    }
    assert post_report("## Model report", env) == "pull request #12"
    (request,) = received
    assert request["path"] == "/repos/owner/repo/issues/12/comments"
    assert request["headers"]["Authorization"] == "Bearer t0ken"
    assert request["body"] == {"body": "## Model report"}
    assert summary.read_text() == "## Model report"


def test_gitlab_adds_a_merge_request_note(api):
    url, received = api
    env = {
        "CI_MERGE_REQUEST_IID": "7",
        "GITLAB_TOKEN": "t0ken",
        "CI_API_V4_URL": f"{url}/api/v4",
        "CI_PROJECT_ID": "42",
    }
    assert post_report("report", env) == "merge request !7"
    (request,) = received
    assert request["path"] == "/api/v4/projects/42/merge_requests/7/notes"
    assert request["headers"]["Private-Token"] == "t0ken"


def test_azure_opens_a_pull_request_thread(api):
    url, received = api
    env = {
        "SYSTEM_PULLREQUEST_PULLREQUESTID": "3",
        "SYSTEM_ACCESSTOKEN": "t0ken",
        "SYSTEM_COLLECTIONURI": f"{url}/org/",
        "SYSTEM_TEAMPROJECT": "project",
        "BUILD_REPOSITORY_ID": "repo-id",
    }
    assert post_report("report", env) == "pull request 3"
    (request,) = received
    assert request["path"] == (
        "/org/project/_apis/git/repositories/repo-id/pullRequests/3/threads?api-version=7.1"
    )
    assert request["body"]["comments"][0]["content"] == "report"


def test_outside_a_pull_request_nothing_is_posted(api):
    _, received = api
    assert post_report("report", {"GITHUB_EVENT_NAME": "push", "GITHUB_TOKEN": "t"}) is None
    assert received == []


@pytest.mark.parametrize(
    ("pull_request", "token"),
    [
        ({"GITHUB_BASE_REF": "main"}, "GITHUB_TOKEN"),
        ({"CI_MERGE_REQUEST_IID": "7"}, "GITLAB_TOKEN"),
        ({"SYSTEM_PULLREQUEST_PULLREQUESTID": "3"}, "SYSTEM_ACCESSTOKEN"),
    ],
)
def test_a_pull_request_without_the_token_is_skipped_with_the_reason(api, pull_request, token):
    # A merge request from an unprotected branch never receives GitLab's protected variables.
    _, received = api
    assert post_report("report", pull_request) is None
    assert received == []
    reason = not_posted_reason(pull_request)
    assert reason.startswith(f"{token} is not set")
    assert "report not posted" in reason


def test_outside_a_pull_request_the_reason_says_so():
    assert not_posted_reason({}) == "not in a pull request: report not posted"


def test_an_unreachable_api_is_a_clear_error():
    env = {
        "CI_MERGE_REQUEST_IID": "7",
        "GITLAB_TOKEN": "t",
        "CI_API_V4_URL": "http://127.0.0.1:9/api/v4",
        "CI_PROJECT_ID": "1",
    }
    with pytest.raises(ProjectError, match="could not post the report"):
        post_report("report", env)


def git(*args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=Tests", "-c", "user.email=tests@example.com", *args],
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repository(tmp_path, monkeypatch) -> Path:
    """A git repository with DVC, the project's params.yaml and dvc.yaml, and metrics of the
    task, committed on main; then, on a branch, one metric and one param changed, as a pull
    request changes them. The report is built in it."""
    shutil.copy(PARAMS_FILE, tmp_path / PARAMS_FILE.name)
    shutil.copy(PIPELINE_FILE, tmp_path / PIPELINE_FILE.name)
    monkeypatch.chdir(tmp_path)
    # git and dvc from PATH, as CI runs them; this interpreter's dvc comes first.
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("DVC_NO_ANALYTICS", "1")
    git("init", "--quiet", "--initial-branch", "main")
    subprocess.run(["dvc", "init", "--quiet"], check=True)
    PARAMS.paths.metrics.parent.mkdir(parents=True)
    PARAMS.paths.metrics.write_text(json.dumps(METRICS))
    git("add", "--all")
    git("commit", "--quiet", "--message", "Base")
    git("switch", "--quiet", "--create", "change")
    PARAMS.paths.metrics.write_text(json.dumps({**METRICS, PRIMARY: 0.75}))
    params = yaml.safe_load(PARAMS_FILE.read_text())
    params["split"]["seed"] = PARAMS.split.seed + 1
    PARAMS_FILE.write_text(yaml.safe_dump(params, sort_keys=False))
    git("commit", "--quiet", "--all", "--message", "Change")
    return tmp_path


def table_row(markdown: str, name: str) -> list[str]:
    """The cells of the one row of a Markdown table that names `name`."""
    (row,) = [line for line in markdown.splitlines() if f"| {name} " in line]
    return [cell.strip() for cell in row.strip("|").split("|")]


def test_the_report_shows_what_changed_against_the_base_then_each_summary(repository):
    gate = PARAMS.paths.gate_summary
    gate.write_text("### Quality gate: challenger v2 passes\n\n- better\n")
    # Listed in an order that sorting the paths would not give.
    other = gate.with_name("z-another-step.md")
    other.write_text("### Another step\n")
    report = build_report("main", [other, gate.with_name("absent.md"), gate])
    metrics, params = report.split("### Params against `main`")
    assert metrics.startswith("## Model report\n\n### Metrics against `main`\n\n")
    assert table_row(metrics, PRIMARY) == [
        str(PARAMS.paths.metrics),
        PRIMARY,
        "0.5",
        "0.75",
        "0.25",
    ]
    # Only what changed.
    assert all(f"| {name} " not in metrics for name in METRICS if name != PRIMARY)
    seed = [str(PARAMS_FILE), "split.seed", str(PARAMS.split.seed), str(PARAMS.split.seed + 1)]
    assert table_row(params, "split.seed") == seed
    assert params.endswith(
        "\n\n### Another step\n\n### Quality gate: challenger v2 passes\n\n- better\n"
    )


def test_against_itself_the_report_says_nothing_changed(repository):
    report = build_report("change", [])
    assert report == (
        "## Model report\n\n### Metrics against `change`\n\nNo changes.\n\n"
        "### Params against `change`\n\nNo changes.\n"
    )


def test_a_missing_base_branch_is_named(repository):
    with pytest.raises(ProjectError) as missing:
        build_report("release", [PARAMS.paths.gate_summary])
    assert str(missing.value) == "no git branch 'release' (or origin/release) to compare with"
