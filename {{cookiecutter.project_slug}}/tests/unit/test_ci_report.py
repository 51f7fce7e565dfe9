"""Posting the report to each provider's API, against a real HTTP server on loopback."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from {{ cookiecutter.package_name }}.ci_report import not_posted_reason, post_report
from {{ cookiecutter.package_name }}.errors import ProjectError


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
