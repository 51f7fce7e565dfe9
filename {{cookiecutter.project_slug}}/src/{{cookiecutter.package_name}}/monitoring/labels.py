"""Ground truth that arrives after the prediction: labels, recorded, then joined to the
predictions they are about.

A label names its prediction as the client knows it: the X-Request-Key it sent (or the
X-Request-Id the service answered) and, for a request of several rows, the row's position
(0, the first, by default). Labels are kept one JSON line each in an append-only file, the key
only as its SHA-256 (as the prediction log keeps keys by default), so the file holds no
client's key; a key given as the log shows it (`sha256:...`) is taken as it is.

Joined to the prediction log, each label has one outcome, and every outcome is counted:
- joined: it labels a prediction of the log, the latest with its key and row made before the
  label came (every version that scored that row: the one that answered, and a shadow);
- late: it came more than `max_label_delay_hours` after its prediction, when the world the
  prediction was made in may have moved on; kept, but not measured;
- duplicate: that prediction was labelled before; the first label counts;
- unknown: no prediction in the log has that key and row.
"""

import csv
import json
import math
import os
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from {{ cookiecutter.package_name }}.core.description import Label
from {{ cookiecutter.package_name }}.core.errors import DataValidationError, ProjectError
from {{ cookiecutter.package_name }}.core.tasks import Task
from {{ cookiecutter.package_name }}.serving.prediction_log import (
    HASH_PREFIX,
    STDOUT,
    logged_key,
    turn,
    write_all,
)
from {{ cookiecutter.package_name }}.serving.settings import HASHED

Outcome = Literal["joined", "late", "duplicate", "unknown"]
OUTCOMES: tuple[Outcome, ...] = ("joined", "late", "duplicate", "unknown")
# The columns of a labels file; `row` and `time` may be left out.
KEY, ROW, LABEL, TIME = "key", "row", "label", "time"
FILE_MODE = 0o600
# Problems listed at most when a labels file is refused; the count says how many there were.
SHOWN_PROBLEMS = 10


@dataclass(frozen=True)
class GivenLabel:
    key: str  # as the store keeps it: sha256:<hex>
    row: int
    label: Label | float
    # When the label became known: when it was recorded, unless the file said otherwise.
    time: datetime
    source: str

    def to_json(self) -> str:
        record = asdict(self) | {"time": self.time.isoformat(timespec="milliseconds")}
        return json.dumps(record, separators=(",", ":"))


def stored_key(key: str) -> str:
    """The key as the store keeps it, and as the prediction log does by default."""
    if key.startswith(HASH_PREFIX) and len(key) == len(HASH_PREFIX) + 64:
        return key
    return logged_key(key, HASHED)


def parse_label(task: Task, value: Any) -> Label | float:
    """`value` as one of the target's labels, or as a number for regression; ValueError names
    what it should be."""
    classes = task.classes
    if not classes:
        try:
            number = math.nan if isinstance(value, bool) else float(value)
        except (TypeError, ValueError):
            number = math.nan
        if not math.isfinite(number):
            raise ValueError(f"{value!r} is not a finite number")
        return number
    if isinstance(value, str):
        text = value.strip()
        by_text = {str(label): label for label in classes}
        if text in by_text:
            return by_text[text]
        if all(isinstance(label, bool) for label in classes) and text.lower() in ("true", "false"):
            return text.lower() == "true"
        value = _number(text)  # "1.0", as a table with a float column writes the label 1
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a JSON reader may give 1.0 too
    if value in classes and type(value) is type(next(c for c in classes if c == value)):
        return value
    raise ValueError(f"{value!r} is not one of the labels {list(classes)}")


def _number(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text


def read_labels_file(path: Path, task: Task, now: datetime) -> list[GivenLabel]:
    """The labels of a CSV file with the columns key, label and, optionally, row and time.
    A file with any malformed line is refused whole, each problem named by its line, so that
    sending it again once fixed records each label once."""
    try:
        with path.open(newline="") as stream:
            lines = list(csv.DictReader(stream))
            columns = set(lines[0]) if lines else set()
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise ProjectError(f"{path}: cannot read the labels file: {error}") from None
    missing = [name for name in (KEY, LABEL) if name not in columns]
    if not lines or missing:
        raise DataValidationError(
            f"{path}: a labels file is a CSV file with a header and the columns {KEY} and "
            f"{LABEL} (and optionally {ROW} and {TIME}); "
            + (f"it has no {' and no '.join(missing)} column" if lines else "it has no rows")
        )
    labels, problems = [], []
    for number, line in enumerate(lines, start=2):  # line 1 is the header
        try:
            labels.append(given_label(line, task, now, f"file:{path.name}"))
        except ValueError as error:
            problems.append(f"line {number}: {error}")
    if problems:
        shown = "; ".join(problems[:SHOWN_PROBLEMS])
        more = (
            f" (and {len(problems) - SHOWN_PROBLEMS} more)"
            if len(problems) > SHOWN_PROBLEMS
            else ""
        )
        raise DataValidationError(
            f"{path}: {len(problems)} of {len(lines)} labels are malformed, so none was "
            f"recorded; fix them and send the file again: {shown}{more}"
        )
    return labels


class LabelError(ValueError):
    """A malformed label: the field at fault, and what it should be."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def given_label(item: Mapping[str, Any], task: Task, now: datetime, source: str) -> GivenLabel:
    """The label of a labels file's line (every value text) or of a JSON object sent to the
    service; LabelError names the field and what it should be."""
    key = item.get(KEY)
    if not isinstance(key, str) or not key.strip():
        raise LabelError(KEY, f"no {KEY}: the X-Request-Key sent, or the X-Request-Id answered")
    row = item.get(ROW)
    if row is None or row == "":
        row = 0
    elif isinstance(row, str) and row.strip().isdigit():
        row = int(row)
    elif isinstance(row, bool) or not isinstance(row, int) or row < 0:
        raise LabelError(ROW, f"{ROW} {row!r} is not a row position (0 for a request's first row)")
    if item.get(LABEL) in (None, ""):
        raise LabelError(LABEL, f"no {LABEL}")
    time = now
    if given_time := item.get(TIME):
        if not isinstance(given_time, str):
            raise LabelError(TIME, f"{TIME} {given_time!r} is not an ISO 8601 time")
        try:
            time = datetime.fromisoformat(given_time.strip())
        except ValueError as error:
            raise LabelError(TIME, str(error)) from None
        if time.tzinfo is None:
            raise LabelError(TIME, f"{TIME} {given_time!r} has no time zone (add Z or +00:00)")
    try:
        label = parse_label(task, item[LABEL])
    except ValueError as error:
        raise LabelError(LABEL, str(error)) from None
    return GivenLabel(stored_key(key.strip()), row, label, time.astimezone(UTC), source)


class LabelStore:
    """The labels given so far: one JSON line each, appended, readable by its owner only.

    `path` None: standard output, where a container's log collector keeps them. The worker
    processes of one server share a store and pass `lock_path`, a file they lock for their
    turn, as the prediction log's writers do: on a pipe, O_APPEND alone would let long writes
    of two processes interleave.
    """

    def __init__(self, path: Path | None, lock_path: Path | None = None):
        self.path = path
        self._lock_fd = (
            None if lock_path is None else os.open(lock_path, os.O_RDWR | os.O_CREAT, FILE_MODE)
        )

    def append(self, labels: Iterable[GivenLabel]) -> None:
        text = "".join(label.to_json() + "\n" for label in labels).encode()
        if self.path is None:
            with turn(self._lock_fd):
                write_all(STDOUT, text)
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, FILE_MODE)
        try:
            with turn(self._lock_fd):
                write_all(fd, text)
        finally:
            os.close(fd)

    def close(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def read(self) -> list[GivenLabel]:
        if self.path is None or not self.path.exists():
            return []
        labels = []
        for number, line in enumerate(self.path.read_text().splitlines(), start=1):
            try:
                record = json.loads(line)
                labels.append(
                    GivenLabel(
                        record[KEY], record[ROW], record[LABEL],
                        datetime.fromisoformat(record[TIME]), record["source"],
                    )
                )  # fmt: skip
            except (ValueError, KeyError, TypeError):
                raise ProjectError(
                    f"{self.path}:{number}: not a label line; the store is written by the "
                    "feedback command and the service only: restore it from a backup"
                ) from None
        return labels


@dataclass(frozen=True)
class Match:
    """A labelled row of a logged prediction."""

    record: dict  # the prediction log's line
    output: dict  # the row's outputs
    label: GivenLabel


class Joiner:
    """The prediction log's lines by the keys a label may name, and the labels met so far."""

    def __init__(self, records: Iterable[dict], max_delay: timedelta):
        self.max_delay = max_delay
        self.by_key: dict[str, list[dict]] = {}
        for record in records:
            for key in _keys_of(record):
                self.by_key.setdefault(key, []).append(record)
        self.labelled: set[tuple[str, int]] = set()

    def outcome(self, label: GivenLabel) -> tuple[Outcome, list[Match]]:
        """The label's outcome, and the predictions it labels when it joins: those of the
        latest request with its key made before the label came (one request's id names it
        alone; a caller's key may name many), as each version scored it."""
        earlier = [
            record
            for record in self.by_key.get(label.key, [])
            if label.row < len(record["outputs"]) and _time_of(record) <= label.time
        ]
        if not earlier:
            return "unknown", []
        latest = max(earlier, key=_time_of)["request_id"]
        records = [record for record in earlier if record["request_id"] == latest]
        if (latest, label.row) in self.labelled:
            return "duplicate", []
        self.labelled.add((latest, label.row))
        if label.time - min(map(_time_of, records)) > self.max_delay:
            return "late", []
        return "joined", [Match(record, record["outputs"][label.row], label) for record in records]

    def join(self, labels: Iterable[GivenLabel]) -> tuple[Counter, list[Match]]:
        """Every label's outcome, counted, in the order they were given."""
        counts: Counter = Counter(dict.fromkeys(OUTCOMES, 0))
        matches = []
        for label in sorted(labels, key=lambda label: label.time):
            outcome, found = self.outcome(label)
            counts[outcome] += 1
            matches += found
        return counts, matches


def _time_of(record: dict) -> datetime:
    return datetime.fromisoformat(record["time"])


def _keys_of(record: dict) -> Iterator[str]:
    """The keys a label may name a logged request by: its id, and its key as logged."""
    yield stored_key(record["request_id"])
    if record.get("request_key"):
        yield stored_key(record["request_key"])


def record_labels(
    given: list[GivenLabel], store: LabelStore, records: list[dict], max_delay: timedelta
) -> Counter:
    """Add labels to the store, all of them (a late, repeated or unknown label is kept, not
    lost); return how each fared against the log, after the labels the store had before."""
    joiner = Joiner(records, max_delay)
    joiner.join(store.read())
    counts, _ = joiner.join(given)
    store.append(given)
    return counts


def outcomes_sentence(counts: Counter) -> str:
    """How labels fared, in words."""
    joined, late, duplicate, unknown = (counts[name] for name in OUTCOMES)
    return (
        f"{joined} label a prediction; {late} came too late to be measured; {duplicate} label "
        f"a prediction labelled before (the first label counts); {unknown} name no prediction "
        "in the log"
    )
