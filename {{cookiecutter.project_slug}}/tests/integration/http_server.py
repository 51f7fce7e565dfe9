"""Start the service as a real process on a free port, and talk to it over HTTP."""

import select
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import pytest

from tests.integration.project_copy import Runner

READY_TIMEOUT_SECONDS = 120


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    client: httpx.Client
    process: subprocess.Popen
    port: int
    # What the server wrote to standard output and standard error, once it has stopped.
    stdout: str = ""
    stderr: str = ""


@contextmanager
def serving(run: Runner) -> Iterator[httpx.Client]:
    """`serve` in the project, with the runner's environment; a client once it is ready."""
    with running(run) as server:
        yield server.client


@contextmanager
def running(run: Runner) -> Iterator[Server]:
    """`serve` as `serving` starts it, with its process, port and (once stopped) its output."""
    port = free_port()
    process = run(
        sys.executable, "-m", "{{ cookiecutter.package_name }}", "serve", "--port", str(port),
        background=True,
    )  # fmt: skip
    # Both pipes are read as the server writes: a prediction log on standard output would
    # otherwise fill its pipe and stop the server.
    with ThreadPoolExecutor(2) as readers:
        stdout, stderr = (readers.submit(pipe.read) for pipe in (process.stdout, process.stderr))
        server = failure = None
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
                wait_until_ready(client, process, stderr)
                server = Server(client, process, port)
                yield server
        except BaseException as error:  # pytest.fail's too
            failure = error
            raise
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
            if server is not None:
                server.stdout, server.stderr = stdout.result(), stderr.result()
            if failure is not None:
                # A test that fails while the server runs may have failed by the server's doing
                # (it stopped, say): what it wrote says why.
                failure.add_note(
                    f"the server (exit status {process.returncode}) wrote to standard error:\n"
                    + stderr.result()[-8000:]
                )


def wait_until_ready(client: httpx.Client, process: subprocess.Popen, stderr: Future[str]) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited with {process.returncode}:\n{stderr.result()}")
        try:
            if client.get("/ready").status_code == 200:
                return
        except httpx.TransportError:
            pass  # not listening yet
        time.sleep(0.2)
    process.terminate()
    pytest.fail(f"the server was not ready in time:\n{stderr.result()}")


def resident_bytes(process: subprocess.Popen) -> int:
    """The process's resident memory (VmRSS), from /proc."""
    with open(f"/proc/{process.pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for process {process.pid}")


def upload(
    port: int,
    headers: dict[str, str],
    size: int,
    *,
    chunked: bool = False,
    piece_bytes: int = 64 * 1024,
    interval_seconds: float = 0,
) -> int:
    """POST /predict with a body of `size` spaces, sent a piece at a time (every
    `interval_seconds`), over a raw socket: stop sending as soon as the server answers, as a
    client would, and return the answer's status (0 if the server closed without one)."""
    framing = {"Transfer-Encoding": "chunked"} if chunked else {"Content-Length": str(size)}
    head = "".join(
        f"{name}: {value}\r\n"
        for name, value in {"Host": "127.0.0.1", **headers, **framing}.items()
    )
    with socket.create_connection(("127.0.0.1", port), timeout=60) as connection:
        connection.sendall(f"POST /predict HTTP/1.1\r\n{head}\r\n".encode())
        sent = 0
        while sent < size and not select.select([connection], [], [], interval_seconds)[0]:
            piece = b" " * min(piece_bytes, size - sent)
            try:
                connection.sendall(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
            except OSError:
                break  # the server closed the connection: its answer may still be readable
            sent += len(piece)
        return status_of(connection)


def status_of(connection: socket.socket) -> int:
    answer = b""
    try:
        while b"\r\n" not in answer and (data := connection.recv(4096)):
            answer += data
    except OSError:
        pass
    return int(answer.split()[1]) if answer.startswith(b"HTTP/") else 0
