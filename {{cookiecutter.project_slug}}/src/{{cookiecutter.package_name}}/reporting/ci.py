"""The pull-request report: metrics and params against the target branch, and the gate's verdict.

Each CI provider takes a comment through its own REST API; outside a pull request the report
is only written and printed.
"""

import json
import subprocess  # nosec B404  # git and dvc only, with this module's arguments
import urllib.parse
import urllib.request
from collections.abc import Mapping
from pathlib import Path

from {{ cookiecutter.package_name }}.core.errors import ProjectError

REQUEST_TIMEOUT_SECONDS = 30
# The providers' APIs are reached over HTTPS; urllib would also open file: addresses.
API_SCHEMES = ("https", "http")
# Per provider: the variable that marks a pull request's pipeline, the token that posts to it,
# and why a pipeline may run without that token.
PULL_REQUEST_TOKENS = (
    ("GITHUB_BASE_REF", "GITHUB_TOKEN", "the workflow passes it to `make report`"),
    (
        "CI_MERGE_REQUEST_IID",
        "GITLAB_TOKEN",
        "a protected variable, it does not reach merge requests from unprotected branches or forks",
    ),
    (
        "SYSTEM_PULLREQUEST_PULLREQUESTID",
        "SYSTEM_ACCESSTOKEN",
        "the pipeline maps it only into the step that posts the report",
    ),
)


def base_revision(branch: str) -> str:
    """Prefer the remote-tracking branch, which is what CI checkouts have."""
    for candidate in (f"origin/{branch}", branch):
        # git and dvc from PATH, as the CI job installs them; no shell.
        found = subprocess.run(  # nosec B603 B607
            ["git", "rev-parse", "--verify", "--quiet", candidate], capture_output=True
        )
        if found.returncode == 0:
            return candidate
    raise ProjectError(f"no git branch {branch!r} (or origin/{branch}) to compare with")


def _dvc_markdown(*args: str) -> str:
    # dvc from PATH, as the CI job installs it; no shell.
    result = subprocess.run(  # nosec B603 B607
        ["dvc", *args, "--md"], capture_output=True, text=True
    )
    if result.returncode != 0:
        raise ProjectError(f"`dvc {' '.join(args)}` failed: {result.stderr.strip()}")
    table = result.stdout.strip()
    # A Markdown table of no changes is still printed: its header and separator lines.
    return table if len(table.splitlines()) > 2 else "No changes."


def build_report(base_branch: str, summaries: list[Path]) -> str:
    """Metrics and params against the base branch, then each summary the steps before wrote
    (the gate's verdict, ...), in order; a step that did not run left no file and no section."""
    base = base_revision(base_branch)
    sections = [
        "## Model report",
        f"### Metrics against `{base}`",
        _dvc_markdown("metrics", "diff", base),
        f"### Params against `{base}`",
        _dvc_markdown("params", "diff", base),
    ]
    sections += [path.read_text().strip() for path in summaries if path.exists()]
    return "\n\n".join(sections) + "\n"


def _post_json(url: str, body: dict, headers: dict[str, str]) -> None:
    if urllib.parse.urlsplit(url).scheme not in API_SCHEMES:
        raise ProjectError(f"{url!r}: the CI provider's API must be an http(s) address")
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **headers},
        method="POST",
    )
    # B310 (file: and custom schemes): only API_SCHEMES reach here.
    with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_SECONDS):  # nosec B310
        return


def _github(markdown: str, env: Mapping[str, str]) -> str | None:
    if env.get("GITHUB_EVENT_NAME") != "pull_request" or not env.get("GITHUB_TOKEN"):
        return None
    event = json.loads(Path(env["GITHUB_EVENT_PATH"]).read_text())
    number = event["pull_request"]["number"]
    api = env.get("GITHUB_API_URL", "https://api.github.com")
    _post_json(
        f"{api}/repos/{env['GITHUB_REPOSITORY']}/issues/{number}/comments",
        {"body": markdown},
        {"Authorization": f"Bearer {env['GITHUB_TOKEN']}"},
    )
    return f"pull request #{number}"


def _gitlab(markdown: str, env: Mapping[str, str]) -> str | None:
    if not env.get("CI_MERGE_REQUEST_IID") or not env.get("GITLAB_TOKEN"):
        return None
    iid = env["CI_MERGE_REQUEST_IID"]
    _post_json(
        f"{env['CI_API_V4_URL']}/projects/{env['CI_PROJECT_ID']}/merge_requests/{iid}/notes",
        {"body": markdown},
        {"PRIVATE-TOKEN": env["GITLAB_TOKEN"]},
    )
    return f"merge request !{iid}"


def _azure(markdown: str, env: Mapping[str, str]) -> str | None:
    if not env.get("SYSTEM_PULLREQUEST_PULLREQUESTID") or not env.get("SYSTEM_ACCESSTOKEN"):
        return None
    number = env["SYSTEM_PULLREQUEST_PULLREQUESTID"]
    project = f"{env['SYSTEM_COLLECTIONURI']}{env['SYSTEM_TEAMPROJECT']}"
    _post_json(
        f"{project}/_apis/git/repositories/{env['BUILD_REPOSITORY_ID']}"
        f"/pullRequests/{number}/threads?api-version=7.1",
        {"comments": [{"content": markdown, "commentType": 1}], "status": 1},
        {"Authorization": f"Bearer {env['SYSTEM_ACCESSTOKEN']}"},
    )
    return f"pull request {number}"


def post_report(markdown: str, env: Mapping[str, str]) -> str | None:
    """Comment on the pull request this CI run belongs to; return where, or None."""
    if env.get("GITHUB_STEP_SUMMARY"):
        with Path(env["GITHUB_STEP_SUMMARY"]).open("a") as summary:
            summary.write(markdown)
    for provider in (_github, _gitlab, _azure):
        try:
            posted = provider(markdown, env)
        except OSError as error:
            raise ProjectError(f"could not post the report: {error}") from None
        if posted:
            return posted
    return None


def not_posted_reason(env: Mapping[str, str]) -> str:
    """Why post_report posted nothing: outside a pull request, or without the token to post."""
    for marker, token, why in PULL_REQUEST_TOKENS:
        if env.get(marker) and not env.get(token):
            return (
                f"{token} is not set ({why}): report not posted; "
                "it is in the job's log and its reports/ci-report.md"
            )
    return "not in a pull request: report not posted"
