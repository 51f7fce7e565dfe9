"""After a release: wait until the service is ready, then score one known row over HTTP."""

import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pandas as pd

from {{ cookiecutter.package_name }}.core.data import read_table
from {{ cookiecutter.package_name }}.core.description import Categorical, DataDescription, Numeric
from {{ cookiecutter.package_name }}.core.errors import ProjectError
from {{ cookiecutter.package_name }}.project.schema import DATA

READY_POLL_SECONDS = 1
REQUEST_TIMEOUT_SECONDS = 10
# urllib also opens file: and ftp: addresses; a service is reached over HTTP only.
SERVICE_SCHEMES = ("http", "https")
# The service's API key, when it requires one (serving/settings.py reads the same variable).
API_KEY_VARIABLE = "SERVING_API_KEY"


def _call(
    url: str, body: dict | None = None, timeout_seconds: float = REQUEST_TIMEOUT_SECONDS
) -> tuple[int, dict]:
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if api_key := os.environ.get(API_KEY_VARIABLE):
        headers["Authorization"] = f"Bearer {api_key}"
    request = urllib.request.Request(url, data=data, headers=headers)
    try:
        # B310 (file: and custom schemes): smoke_test admits only SERVICE_SCHEMES.
        with urllib.request.urlopen(  # nosec B310
            request, timeout=timeout_seconds
        ) as answer:
            return answer.status, _json(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, _json(error.read())


def _json(body: bytes) -> dict:
    """An answer's JSON body; a page that is not JSON (a proxy's error page) as its text."""
    try:
        return json.loads(body or b"{}")
    except ValueError:
        return {"detail": body.decode(errors="replace").strip()}


def wait_until_ready(base_url: str, timeout_seconds: float) -> None:
    deadline = time.monotonic() + timeout_seconds
    last_problem = "no answer yet"
    while (left := deadline - time.monotonic()) > 0:
        try:
            # Never past the deadline, even against a server that accepts and never answers.
            status, _ = _call(
                f"{base_url}/ready", timeout_seconds=min(REQUEST_TIMEOUT_SECONDS, left)
            )
        except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
            last_problem = str(getattr(error, "reason", error))
        else:
            if status == 200:
                return
            last_problem = f"/ready answered {status}"
        time.sleep(max(0, min(READY_POLL_SECONDS, deadline - time.monotonic())))
    raise ProjectError(f"{base_url} is not ready after {timeout_seconds:.0f} s ({last_problem})")


def smoke_test(base_url: str, sample: Path, timeout_seconds: float) -> str:
    """Return the version that answered a prediction for the first row of `sample`."""
    base_url = base_url.rstrip("/")
    scheme = urllib.parse.urlsplit(base_url).scheme
    if scheme not in SERVICE_SCHEMES:
        raise ProjectError(
            f"--url {base_url!r}: the service's address must start with http:// or https://"
        )
    wait_until_ready(base_url, timeout_seconds)
    row = request_row(read_table(sample).iloc[0])
    status, answer = _call(f"{base_url}/predict", row)
    if status != 200 or len(answer.get("predictions", [])) != 1:
        raise ProjectError(f"{base_url}/predict answered {status}: {answer}")
    return answer["model_version"]


def request_row(row: pd.Series, data: DataDescription = DATA) -> dict[str, Any]:
    """A row of a table as a client sends it: its identifiers and features as JSON values
    (a missing value as null, a number as a float, a category as text, a boolean as true or
    false)."""
    kinds = {name: str for name in data.identifiers} | {
        feature.name: _json_type(feature) for feature in data.features
    }
    return {
        name: None if pd.isna(row[name]) else json_type(row[name])
        for name, json_type in kinds.items()
    }


def _json_type(feature) -> type:
    if isinstance(feature, Numeric):
        return float
    return str if isinstance(feature, Categorical) else bool
