"""The smoke test over real HTTP: the service on uvicorn, a proxy that answers errors, a server
that never answers, and a port nobody listens on."""

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import uvicorn

from {{ cookiecutter.package_name }}.core.data import write_table
from {{ cookiecutter.package_name }}.core.errors import ProjectError
from {{ cookiecutter.package_name }}.serving.app import create_app
from {{ cookiecutter.package_name }}.serving.settings import ServingSettings
from {{ cookiecutter.package_name }}.serving.smoke import (
    API_KEY_VARIABLE,
    READY_POLL_SECONDS,
    smoke_test,
)

from tests.synthetic import synthetic_frame
from tests.unit.serving.conftest import settings_in

API_KEY = "a-key-long-enough-to-be-accepted"
START_TIMEOUT_SECONDS = 30
# Long enough for a slow machine to load a model; the failures below never wait for it.
READY_TIMEOUT_SECONDS = 60
# Short, for the servers that never get ready.
GIVE_UP_SECONDS = 2.0


@pytest.fixture
def sample(tmp_path) -> Path:
    """A table of rows the description accepts, whose first row the smoke test sends."""
    path = tmp_path / "sample.csv"
    write_table(synthetic_frame(5, seed=3), path)
    return path


@contextmanager
def on_uvicorn(settings: ServingSettings) -> Iterator[str]:
    """The service with these settings, on uvicorn at a free port in this process: its URL."""
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=0, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    (port,) = {sock.getsockname()[1] for listener in server.servers for sock in listener.sockets}
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(START_TIMEOUT_SECONDS)


def serving(store, tmp_path, model: str, **settings) -> ServingSettings:
    return settings_in(tmp_path, model=f"models:/{store.name}/{model}", **settings)


def fails_in_time(url: str, sample: Path) -> str:
    """Run the smoke test that must fail; its message, once it failed within its timeout."""
    started = time.monotonic()
    with pytest.raises(ProjectError) as failure:
        smoke_test(url, sample, GIVE_UP_SECONDS)
    # One more poll at most, and the time its request took.
    assert time.monotonic() - started < GIVE_UP_SECONDS + READY_POLL_SECONDS
    return str(failure.value)


def test_the_version_that_answered_is_returned_to_a_caller_with_the_key(
    registry_store, tmp_path, sample, monkeypatch
):
    settings = serving(registry_store, tmp_path, registry_store.better, api_key=API_KEY)
    with on_uvicorn(settings) as url:
        monkeypatch.delenv(API_KEY_VARIABLE, raising=False)
        with pytest.raises(ProjectError, match=rf"^{url}/predict answered 401: "):
            smoke_test(url, sample, READY_TIMEOUT_SECONDS)
        monkeypatch.setenv(API_KEY_VARIABLE, API_KEY)
        assert smoke_test(f"{url}/", sample, READY_TIMEOUT_SECONDS) == registry_store.better


def test_a_service_whose_model_did_not_load_is_not_ready(registry_store, tmp_path, sample):
    with on_uvicorn(serving(registry_store, tmp_path, "no-such-alias")) as url:
        message = fails_in_time(url, sample)
    assert message == f"{url} is not ready after 2 s (/ready answered 503)"


class ProxyError(BaseHTTPRequestHandler):
    """What a proxy answers in front of a service that is down: an error page in HTML."""

    def do_GET(self):
        page = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
        self.send_response(502)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)

    def log_message(self, *args):
        pass


def test_a_proxy_answering_error_pages_is_not_ready(sample):
    server = ThreadingHTTPServer(("127.0.0.1", 0), ProxyError)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    try:
        message = fails_in_time(url, sample)
    finally:
        server.shutdown()
    assert message == f"{url} is not ready after 2 s (/ready answered 502)"


def test_a_server_that_never_answers_is_given_up_on_in_time(sample):
    # Connections are accepted (the kernel queues them), and no answer ever comes.
    with socket.create_server(("127.0.0.1", 0)) as silent:
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        message = fails_in_time(url, sample)
    assert message == f"{url} is not ready after 2 s (timed out)"


def test_a_port_nobody_listens_on_is_not_ready(sample):
    with socket.create_server(("127.0.0.1", 0)) as closed:
        url = f"http://127.0.0.1:{closed.getsockname()[1]}"
    message = fails_in_time(url, sample)
    assert message.startswith(f"{url} is not ready after 2 s (")
    assert "Connection refused" in message


def test_only_an_http_address_is_called(sample):
    with pytest.raises(ProjectError) as refused:
        smoke_test("file:///etc/passwd", sample, GIVE_UP_SECONDS)
    assert str(refused.value) == (
        "--url 'file:///etc/passwd': the service's address must start with http:// or https://"
    )
