"""What the template's tests and sessions share to run a baked project: its environment and a
free port. The standard library only: the noxfile imports it, where the tests' tools are not."""

import os
import socket

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
