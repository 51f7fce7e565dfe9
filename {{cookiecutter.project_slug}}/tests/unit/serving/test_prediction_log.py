import json
import stat
import subprocess
import sys

import pytest

from {{ cookiecutter.package_name }}.serving.prediction_log import (
    PredictionLog,
    log_files,
    logged_key,
)

from tests.synthetic import rows_of, synthetic_frame
from tests.unit.serving.conftest import TASK, scores_for

ROWS = rows_of(synthetic_frame(5))[:1]
OUTPUTS = TASK.outputs(scores_for(TASK, [1]), decision_threshold=0.5)
KEY = "user-1@example.com"


def write(log: PredictionLog, request_id: str) -> None:
    log.write(
        request_id=request_id,
        request_key=KEY,
        model_version="3",
        role="champion",
        mode="served",
        latency_ms=0.1234,
        inputs_json=json.dumps(ROWS).encode(),
        outputs_json=OUTPUTS.to_json(orient="records"),
    )


def read(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_each_prediction_is_one_json_line_appended(tmp_path):
    path = tmp_path / "logs" / "predictions.jsonl"
    for request_id in ["first", "second"]:
        log = PredictionLog(path)
        write(log, request_id)
        log.close()
    lines = read(path)
    assert [line["request_id"] for line in lines] == ["first", "second"]
    assert lines[0] | {"time": None} == {
        "time": None,
        "request_id": "first",
        "request_key": logged_key(KEY, "hash"),
        "model_version": "3",
        "role": "champion",
        "mode": "served",
        "latency_ms": 0.123,
        "inputs": ROWS,
        "outputs": json.loads(OUTPUTS.to_json(orient="records")),
    }
    assert lines[0]["time"].endswith("+00:00")


def test_the_log_is_readable_by_its_owner_only(tmp_path):
    path = tmp_path / "predictions.jsonl"
    PredictionLog(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    ("policy", "logged"),
    [("hash", logged_key(KEY, "hash")), ("drop", None), ("keep", KEY)],
)
def test_the_request_key_is_hashed_dropped_or_kept(tmp_path, policy, logged):
    path = tmp_path / "predictions.jsonl"
    log = PredictionLog(path, request_key=policy)
    write(log, "first")
    log.close()
    assert read(path)[0]["request_key"] == logged
    assert (KEY in path.read_text()) == (policy == "keep")


def test_a_hash_identifies_a_key_without_holding_it():
    hashed = logged_key(KEY, "hash")
    assert hashed == logged_key(KEY, "hash") != logged_key("user-2", "hash")
    assert hashed.startswith("sha256:")
    assert KEY not in hashed
    assert logged_key(None, "hash") is None


def test_the_log_rotates_by_size_and_keeps_its_backups(tmp_path):
    path = tmp_path / "predictions.jsonl"
    probe = PredictionLog(tmp_path / "probe.jsonl")
    write(probe, "0")
    probe.close()
    line_bytes = (tmp_path / "probe.jsonl").stat().st_size
    # Three lines to a file, two backups: of ten lines, the two backups hold 3-5 and 6-8, the
    # file the newest, and the oldest three are gone.
    log = PredictionLog(path, max_bytes=3 * line_bytes, backups=2)
    for number in range(10):
        write(log, str(number))
    log.close()
    files = log_files(path)
    assert [file.name for file in files] == [f"{path.name}.2", f"{path.name}.1", path.name]
    assert all(file.stat().st_size <= 3 * line_bytes for file in files)
    assert all(stat.S_IMODE(file.stat().st_mode) == 0o600 for file in files)
    ids = [line["request_id"] for file in files for line in read(file)]
    assert ids == [str(number) for number in range(3, 10)]


# A process writing `count` lines from request id `first` on, once told to go.
WRITER = """
import sys
from pathlib import Path
from {{ cookiecutter.package_name }}.serving.prediction_log import PredictionLog

path, lock, first, count, max_bytes, inputs, outputs = sys.argv[1:]
log = PredictionLog(Path(path), lock_path=Path(lock), max_bytes=int(max_bytes), backups=1000)
print("ready", flush=True)
sys.stdin.readline()
for number in range(int(first), int(first) + int(count)):
    log.write(
        request_id=str(number), request_key=None, model_version="3", role="champion",
        mode="served", latency_ms=0.1, inputs_json=inputs.encode(), outputs_json=outputs,
    )
log.close()
"""


def test_processes_sharing_a_lock_rotate_in_turn_and_lose_no_line(tmp_path):
    """As the workers of one server do: each its own log on the same file, and a lock file."""
    path = tmp_path / "predictions.jsonl"
    probe = PredictionLog(tmp_path / "probe.jsonl")
    write(probe, "0000")
    probe.close()
    max_bytes = 20 * (tmp_path / "probe.jsonl").stat().st_size
    each = 1000
    shared = [str(path), str(tmp_path / "log.lock")]
    sent = [json.dumps(ROWS), OUTPUTS.to_json(orient="records")]
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, *shared, str(first), str(each), str(max_bytes), *sent],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for first in range(0, 3 * each, each)
    ]
    # All at once, so that they contend for the file.
    assert [writer.stdout.readline() for writer in writers] == ["ready\n"] * 3
    for writer in writers:
        writer.stdin.write("go\n")
        writer.stdin.flush()
    assert [writer.wait(timeout=60) for writer in writers] == [0, 0, 0]
    files = log_files(path)
    ids = sorted(int(line["request_id"]) for file in files for line in read(file))
    assert ids == list(range(3 * each))
    # Each file rotated once it was full, whichever process filled it.
    assert all(file.stat().st_size <= max_bytes for file in files)


def test_standard_output_is_a_sink(capfd):
    log = PredictionLog(None)
    write(log, "to-stdout")
    log.close()
    assert json.loads(capfd.readouterr().out)["request_id"] == "to-stdout"
