"""Serve a baked project's champion with `make serve` and call it over HTTP, as a client would."""

import json
import os
import signal
import subprocess
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import pytest

from tests import processes
from tests.processes import free_port, project_environment

READY_SECONDS = 180
REQUEST_SECONDS = 60


def call(url: str, body: object | None = None, api_key: str | None = None) -> tuple[int, dict]:
    """GET, or POST `body` as JSON, with the service's API key if given; return the status
    and the decoded answer."""
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if api_key is not None:
        headers["Authorization"] = f"Bearer {api_key}"
    request = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=REQUEST_SECONDS) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


@contextmanager
def serving(project: Path) -> Iterator[str]:
    """Run `make serve` on a free port until the block ends; give its base URL once ready."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile("w+") as output:
        # A session of its own, so that stopping make also stops the server it started.
        server = subprocess.Popen(
            ["make", "serve", f"PORT={port}"],
            cwd=project,
            env=project_environment(),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_until_ready(server, url, output)
            yield url
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)


def wait_until_ready(server: subprocess.Popen, url: str, output: IO[str]) -> None:
    try:
        processes.wait_until_ready(f"{url}/ready", server, READY_SECONDS)
    except processes.NotReadyError as error:
        output.seek(0)
        pytest.fail(f"make serve: {error}:\n{output.read()}")
