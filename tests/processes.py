"""What the template's tests, sessions and benchmarks share to run a baked project: its
environment, a free port and the wait for a server to answer. The standard library only: the
noxfile imports it, where the tests' tools are not."""

import os
import socket
import subprocess
import time
import urllib.error
import urllib.request

# What a nox session with the uv backend sets to point uv and python at its own venv; a baked
# project's Makefile picks its own environment instead.
SESSION_VARIABLES = ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT", "UV_PYTHON")
# Left out of a baked project's environment too. Its modules are compiled as they are first
# imported and kept in __pycache__; with PYTHONDONTWRITEBYTECODE, which some machines set, each
# of the hundreds of processes a project's tests start would compile them again, and its
# Makefile would compile every installed module at set-up instead.
LEFT_OUT = (*SESSION_VARIABLES, "PYTHONDONTWRITEBYTECODE")


def project_environment() -> dict[str, str]:
    """The environment for a baked project's own commands: this one without LEFT_OUT."""
    return {key: value for key, value in os.environ.items() if key not in LEFT_OUT}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class NotReadyError(Exception):
    """A server exited, or did not answer in time; the caller adds what the server printed."""


def wait_until_ready(url: str, server: subprocess.Popen, timeout: float) -> None:
    """Return once a GET of `url` answers 200, while `server` runs; raise NotReadyError otherwise.
    A service answers 503 on its readiness path while its model loads: that is waited out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise NotReadyError(f"the server for {url} exited with {server.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except (urllib.error.URLError, ConnectionError):  # HTTPError (503) is a URLError
            time.sleep(0.5)
    raise NotReadyError(f"{url} was not ready within {timeout} s")
