"""One JSON line per scored request, for drift checks and A/B analysis.

Each line: time, request id and key, model version, role, mode (served or shadow), scoring
latency in ms, inputs (an array of row objects) and outputs (the answer's predictions: per row,
any identifiers and time sent, then the task's output contract, tasks.py).
"""

import json
import os
from datetime import UTC, datetime
from pathlib import Path

STDOUT = 1


class PredictionLog:
    """Appends lines to a file, or writes them to standard output when `path` is None.

    Unbuffered, one write per line: a reader sees every line at once, lines from concurrent
    writers do not interleave, and nothing is lost if the process dies.
    """

    def __init__(self, path: Path | None):
        if path is None:
            self._fd, self._owned = STDOUT, False
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
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
                "request_key": request_key,
                "model_version": model_version,
                "role": role,
                "mode": mode,
                "latency_ms": round(latency_ms, 3),
            },
            separators=(",", ":"),
        )
        # The inputs are the validated request body as it came: re-encoding every value would
        # cost more than everything else in the line.
        os.write(
            self._fd,
            b"".join(
                (
                    head[:-1].encode(),
                    b',"inputs":',
                    inputs_json,
                    b',"outputs":',
                    outputs_json.encode(),
                    b"}\n",
                )
            ),
        )

    def close(self) -> None:
        if self._owned:
            os.close(self._fd)
            self._owned = False
