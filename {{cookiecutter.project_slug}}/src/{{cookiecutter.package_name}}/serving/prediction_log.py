"""One JSON line per scored request, for drift checks and A/B analysis.

Each line: time, request id and key, model version, role, mode (served or shadow), scoring
latency in ms, inputs (an array of row objects, the validated values re-encoded) and outputs
(the answer's predictions: per row, any identifiers and time sent, then the task's output
contract, tasks.py).

A file log is readable by its owner only (it holds what clients sent), and rotates by size:
`predictions.jsonl` becomes `predictions.jsonl.1`, the older ones move up to `.2`, ... and the
oldest beyond the number of backups is deleted.
"""

import fcntl
import hashlib
import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from {{ cookiecutter.package_name }}.serving.settings import (
    HASHED,
    PREDICTION_LOG_BACKUPS,
    PREDICTION_LOG_MAX_BYTES,
    RequestKeyLogging,
)

STDOUT = 1
FILE_MODE = 0o600
HASH_PREFIX = "sha256:"


def log_files(path: Path) -> list[Path]:
    """A log's files, oldest first: its rotated backups, then the file itself."""
    backups = []
    number = 1
    while (backup := rotated(path, number)).exists():
        backups.append(backup)
        number += 1
    return [*reversed(backups), *([path] if path.exists() else [])]


def rotated(path: Path, number: int) -> Path:
    return path.with_name(f"{path.name}.{number}")


def logged_key(key: str | None, policy: RequestKeyLogging) -> str | None:
    """What the log keeps of a request key: the same key always gives the same hash, so a
    caller's predictions can still be found and grouped without the key itself being stored."""
    if key is None or policy == "drop":
        return None
    if policy == "keep":
        return key
    return HASH_PREFIX + hashlib.sha256(key.encode()).hexdigest()


class PredictionLog:
    """Appends lines to a file, or writes them to standard output when `path` is None.

    Unbuffered, each line written whole in its writer's turn: a reader sees every line at once,
    lines from concurrent writers do not interleave, and nothing is lost if the process dies.

    The worker processes of one server each hold a log on the same sink and pass `lock_path`, a
    file they all lock for their turn: O_APPEND alone keeps their lines apart in a file, but not
    on a pipe (standard output under Docker mixes writes of over 4 KiB, PIPE_BUF), and a rotation
    must not run while another worker writes, nor leave it appending to the renamed file.
    """

    def __init__(
        self,
        path: Path | None,
        *,
        lock_path: Path | None = None,
        max_bytes: int = PREDICTION_LOG_MAX_BYTES,
        backups: int = PREDICTION_LOG_BACKUPS,
        request_key: RequestKeyLogging = HASHED,
    ):
        self._path, self._max_bytes, self._backups = path, max_bytes, backups
        self._request_key = request_key
        # Served requests and shadow scoring (a thread) write at once; rotation must not
        # interleave with a write. A lock on a file orders processes only: each thread of
        # one process would be granted it.
        self._lock = threading.Lock()
        self._lock_fd = (
            None if lock_path is None else os.open(lock_path, os.O_RDWR | os.O_CREAT, FILE_MODE)
        )
        if path is None:
            self._fd, self._owned = STDOUT, False
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._open()

    def _open(self) -> None:
        self._fd = os.open(self._path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, FILE_MODE)
        self._owned = True

    def write(
        self,
        *,
        request_id: str,
        request_key: str | None,
        model_version: str,
        role: str,
        mode: str,
        latency_ms: float,
        inputs_json: bytes,
        outputs_json: str,
    ) -> None:
        head = json.dumps(
            {
                "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
                "request_id": request_id,
                "request_key": logged_key(request_key, self._request_key),
                "model_version": model_version,
                "role": role,
                "mode": mode,
                "latency_ms": round(latency_ms, 3),
            },
            separators=(",", ":"),
        )
        line = b"".join(
            (
                head[:-1].encode(),
                b',"inputs":',
                inputs_json,
                b',"outputs":',
                outputs_json.encode(),
                b"}\n",
            )
        )
        with self._lock, turn(self._lock_fd):
            if self._owned:
                size = self._current_size()
                if size and size + len(line) > self._max_bytes:
                    self._rotate()
            write_all(self._fd, line)

    def _current_size(self) -> int:
        """The size of the file at the log's path, reopened first when the file open here is no
        longer there: another worker rotated it, or someone moved it. Lines go where readers
        look, and the size counts every writer's lines."""
        try:
            there = os.stat(self._path)
        except FileNotFoundError:
            there = None
        opened = os.fstat(self._fd)
        if there is None or not os.path.samestat(there, opened):
            os.close(self._fd)
            self._open()
            opened = os.fstat(self._fd)
        return opened.st_size

    def _rotate(self) -> None:
        os.close(self._fd)
        rotated(self._path, self._backups).unlink(missing_ok=True)
        for number in range(self._backups - 1, 0, -1):
            if rotated(self._path, number).exists():
                rotated(self._path, number).rename(rotated(self._path, number + 1))
        self._path.rename(rotated(self._path, 1))
        self._open()

    def close(self) -> None:
        with self._lock:
            if self._owned:
                os.close(self._fd)
                self._owned = False
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None


@contextmanager
def turn(lock_fd: int | None) -> Iterator[None]:
    """This process's turn among those sharing a sink, by a lock on the file open as `lock_fd`
    (at once without one)."""
    if lock_fd is None:
        yield
        return
    fcntl.flock(lock_fd, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(lock_fd, fcntl.LOCK_UN)


def write_all(fd: int, data: bytes) -> None:
    """Write all of `data`: a write cut short (by a signal, on a pipe) is finished in the same
    turn, so no other line gets in between."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
