"""The service on uvicorn: in this process, or in several worker processes sharing its port.

Each worker is a new interpreter (uvicorn spawns them): it reads the SERVING_* settings and
loads the models itself. The workers of one server share a temporary directory, which the
server creates and removes as it stops: prometheus_client's files (PROMETHEUS_MULTIPROC_DIR),
which /metrics adds up, the lock that takes the workers' prediction log lines in turn, a mark
from each worker that has loaded the models, which /ready counts, and the reason a worker could
not load them.
"""

import logging
import os
import shutil
import signal
import socket
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from uvicorn.supervisors import Multiprocess

from {{ cookiecutter.package_name }}.core.config import load_params
from {{ cookiecutter.package_name }}.core.errors import ProjectError
from {{ cookiecutter.package_name }}.serving.app import create_app
from {{ cookiecutter.package_name }}.serving.settings import (
    ServingSettings,
    settings_from_environ,
    variable_name,
)

# Read by prometheus_client as a worker imports it: its series then go to files there.
METRICS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
LOAD_FAILURE_FILE = "load-failure"
# What each worker imports and calls to build its app.
WORKER_APP = "{{ cookiecutter.package_name }}.serving.server:worker_app"


def serve(host: str, port: int, workers: int | None = None) -> None:
    """Serve until stopped; `workers` overrides SERVING_WORKERS. Raises ProjectError when the
    model cannot load."""
    # Read here first, so that a bad setting is one error before any worker starts.
    settings = serving_settings()
    count = workers or settings.workers
    if count == 1:
        failure = serve_here(settings, host, port)
    else:
        failure = serve_in_workers(host, port, count)
    if failure is not None:
        raise ProjectError(f"could not load the model: {failure}")


def serving_settings() -> ServingSettings:
    """The SERVING_* settings; where they are unset, params.yaml's: its champion, and the
    paths of the labels and of the monitoring results."""
    params = cache(load_params)
    return settings_from_environ(
        os.environ,
        {
            "model": lambda: f"models:/{params().mlflow.model_name}@champion",
            "labels": lambda: str(params().paths.labels),
            "live_quality_result": lambda: str(params().paths.live_quality_result),
            "drift_result": lambda: str(params().paths.drift_result),
        },
    )


def uvicorn_config(app: Callable[[], FastAPI] | str, host: str, port: int, workers: int):
    return uvicorn.Config(
        app,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,
        log_level="info",
    )


def serve_here(settings: ServingSettings, host: str, port: int) -> str | None:
    """Serve in this process; return why the model could not load, if it could not."""
    failures: list[str] = []

    def stop(failure: str) -> None:
        failures.append(failure)
        server.should_exit = True

    server = uvicorn.Server(
        uvicorn_config(lambda: app_with_logging(settings, stop), host, port, workers=1)
    )
    server.run()
    return failures[0] if failures else None


def serve_in_workers(host: str, port: int, workers: int) -> str | None:
    """Serve in `workers` processes, which uvicorn starts again should one die; return why the
    model could not load, if a worker could not load it."""
    shared_dir = Path(tempfile.mkdtemp(prefix="{{ cookiecutter.package_name }}-serve-"))
    try:
        # The number of workers too, which `--workers` may have set: /ready counts them.
        shared = {METRICS_DIR_VARIABLE: str(shared_dir), variable_name("workers"): str(workers)}
        with environ_with(shared):
            config = uvicorn_config(WORKER_APP, host, port, workers)
            with listening_socket(config) as listening:
                Multiprocess(config, sockets=[listening]).run()
        failure = shared_dir / LOAD_FAILURE_FILE
        return failure.read_text() if failure.exists() else None
    finally:
        shutil.rmtree(shared_dir, ignore_errors=True)


def listening_socket(config: uvicorn.Config) -> socket.socket:
    """The socket uvicorn binds for its workers, taken afresh from its descriptor so that it
    reports IPPROTO_TCP (the kernel's answer, where uvicorn passed 0). Its connections inherit
    that, and only then does asyncio turn Nagle's algorithm off for them: otherwise each answer
    on a kept-alive connection waits some 40 ms for the client's delayed ACK."""
    return socket.socket(fileno=config.bind_socket().detach())


def worker_app() -> FastAPI:
    """The app of one worker process."""
    shared_dir = Path(os.environ[METRICS_DIR_VARIABLE])
    server_pid = os.getppid()

    def stop_the_server(failure: str) -> None:
        # The reason, for the server to report as it exits; then the server stops every
        # worker, this one included, as on Ctrl-C. (A worker that merely exited would be
        # started again, to fail again.) Not if the server is gone and the pid another's.
        (shared_dir / LOAD_FAILURE_FILE).write_text(failure)
        if os.getppid() == server_pid:
            os.kill(server_pid, signal.SIGTERM)

    return app_with_logging(serving_settings(), stop_the_server, shared_dir)


def app_with_logging(
    settings: ServingSettings,
    on_load_failure: Callable[[str], None],
    shared_dir: Path | None = None,
) -> FastAPI:
    """The app, with the package's own messages (loading, failures) where uvicorn's go, in its
    format. Called by uvicorn as it starts, in each process, once it has set its logging up."""
    package_logger = logging.getLogger("{{ cookiecutter.package_name }}")
    package_logger.setLevel(logging.INFO)
    package_logger.handlers = logging.getLogger("uvicorn").handlers
    package_logger.propagate = False
    return create_app(settings, on_load_failure, shared_dir)


@contextmanager
def environ_with(values: dict[str, str]) -> Iterator[None]:
    """These environment variables while the server runs: each worker, spawned then, inherits
    them."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                del os.environ[name]
            else:
                os.environ[name] = value
