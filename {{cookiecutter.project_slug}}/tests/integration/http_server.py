"""Start the service as a real process on a free port, and talk to it over HTTP."""

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from tests.integration.project_copy import Runner

READY_TIMEOUT_SECONDS = 120


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serving(run: Runner) -> Iterator[httpx.Client]:
    """`serve` in the project, with the runner's environment; a client once it is ready."""
    port = free_port()
    process = run(
        sys.executable, "-m", "{{ cookiecutter.package_name }}", "serve", "--port", str(port),
        background=True,
    )  # fmt: skip
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            wait_until_ready(client, process)
            yield client
    finally:
        process.terminate()
        try:
            process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


def wait_until_ready(client: httpx.Client, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited with {process.returncode}:\n{process.stderr.read()}")
        try:
            if client.get("/ready").status_code == 200:
                return
        except httpx.TransportError:
            pass  # not listening yet
        time.sleep(0.2)
    process.terminate()
    pytest.fail(f"the server was not ready in time:\n{process.communicate()[1]}")
