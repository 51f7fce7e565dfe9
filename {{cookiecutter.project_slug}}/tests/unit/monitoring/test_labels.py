"""Labels given after the fact: read, checked against the task, kept, and joined to the
predictions they name."""

import stat
from dataclasses import replace
from datetime import timedelta

import pytest

from {{ cookiecutter.package_name }}.core.description import Target
from {{ cookiecutter.package_name }}.core.errors import DataValidationError
from {{ cookiecutter.package_name }}.core.tasks import TASKS, task_for
from {{ cookiecutter.package_name }}.monitoring.labels import (
    Joiner,
    LabelStore,
    outcomes_sentence,
    parse_label,
    read_labels_file,
    record_labels,
    stored_key,
)

from tests.unit.descriptions import every_kind
from tests.unit.monitoring.conftest import NOW, label, log_line, one_hot

DELAY = timedelta(hours=24)


def task_of(kind: str):
    return task_for(kind, every_kind(kind))


@pytest.mark.parametrize("kind", TASKS)
def test_a_label_is_read_as_the_target_declares_it(kind):
    task = task_of(kind)
    if task.classes:
        first = task.classes[0]
        assert parse_label(task, first) == first
        assert parse_label(task, f" {first} ") == first  # as text, from a CSV file
        with pytest.raises(ValueError, match=r"is not one of the labels \["):
            parse_label(task, "not a label")
    else:
        assert parse_label(task, "2.5") == 2.5
        assert parse_label(task, 3) == 3.0
        for bad in ("many", "nan", float("inf"), True):
            with pytest.raises(ValueError, match="is not a finite number"):
                parse_label(task, bad)


def test_labels_that_are_numbers_are_read_from_text_and_json_but_not_from_booleans():
    numbered = replace(every_kind("binary"), target=Target("outcome", labels=(0, 1), positive=1))
    task = task_for("binary", numbered)
    assert parse_label(task, "1") == 1
    assert parse_label(task, "1.0") == 1  # as pandas writes a column of floats
    assert parse_label(task, 1.0) == 1
    with pytest.raises(ValueError, match=r"1\.5 is not one of the labels"):
        parse_label(task, "1.5")
    with pytest.raises(ValueError, match="is not one of the labels"):
        parse_label(task, True)


def test_boolean_labels_are_read_from_text_in_either_case():
    flagged = replace(
        every_kind("binary"), target=Target("outcome", labels=(False, True), positive=True)
    )
    task = task_for("binary", flagged)
    assert parse_label(task, "true") is True
    assert parse_label(task, "False") is False
    assert parse_label(task, True) is True


def test_keys_are_kept_hashed_and_a_hashed_key_is_taken_as_it_is():
    hashed = stored_key("customer-7")
    assert hashed.startswith("sha256:")
    assert "customer-7" not in hashed
    assert stored_key(hashed) == hashed


def test_a_labels_file_gives_each_line_a_label(tmp_path):
    task = task_of("binary")
    path = tmp_path / "labels.csv"
    path.write_text("key,label,row,time\na,yes,,\nb,no,2,2026-05-30T10:00:00Z\n")
    first, second = read_labels_file(path, task, NOW)
    assert (first.key, first.row, first.label, first.time) == (stored_key("a"), 0, "yes", NOW)
    assert (second.row, second.label, second.time.isoformat()) == (
        2, "no", "2026-05-30T10:00:00+00:00",
    )  # fmt: skip
    assert first.source == "file:labels.csv"


def test_a_labels_file_with_a_malformed_line_is_refused_whole_naming_each_line(tmp_path):
    task = task_of("binary")
    path = tmp_path / "labels.csv"
    path.write_text(
        "key,label,row,time\na,yes,,\n,no,,\nc,maybe,,\nd,no,-1,\ne,no,,yesterday\nf,no,,2026-05-30T10:00\n"
    )
    with pytest.raises(DataValidationError) as refused:
        read_labels_file(path, task, NOW)
    message = str(refused.value)
    assert message.startswith(f"{path}: 5 of 6 labels are malformed, so none was recorded")
    for line in (
        "line 3: no key",
        "line 4: 'maybe' is not one of the labels",
        "line 5: row '-1' is not a row position",
        "line 6: ",
        "line 7: time",
    ):
        assert line in message, line  # fmt: skip


@pytest.mark.parametrize(
    ("text", "problem"),
    [("", "it has no rows"), ("key,value\na,yes\n", "it has no label column"),
     ("label\nyes\n", "it has no key column")],
)  # fmt: skip
def test_a_labels_file_without_its_columns_is_refused(tmp_path, text, problem):
    path = tmp_path / "labels.csv"
    path.write_text(text)
    with pytest.raises(DataValidationError, match=problem):
        read_labels_file(path, task_of("binary"), NOW)


def test_the_store_keeps_labels_in_order_readable_by_its_owner_only(tmp_path):
    store = LabelStore(tmp_path / "logs" / "labels.jsonl")
    assert store.read() == []
    given = [label("a", "yes"), label("b", "no", row=1)]
    store.append(given[:1])
    store.append(given[1:])
    assert store.read() == given
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert "sha256:" in store.path.read_text()
    assert '"a"' not in store.path.read_text()


def test_a_label_joins_every_version_that_scored_its_row():
    task = task_of("binary")
    served = log_line(task, one_hot(task, [0, 1]), "r1", key="k1")
    shadow = log_line(task, one_hot(task, [1, 1]), "r1", key="k1", version="2",
                      role="challenger", mode="shadow")  # fmt: skip
    joiner = Joiner([served, shadow], DELAY)
    counts, matches = joiner.join([label("k1", "yes", row=1)])
    assert counts == {"joined": 1, "late": 0, "duplicate": 0, "unknown": 0}
    assert [match.record["model_version"] for match in matches] == ["1", "2"]
    assert [match.output for match in matches] == [served["outputs"][1], shadow["outputs"][1]]


def test_a_label_may_name_its_prediction_by_the_request_id():
    task = task_of("regression")
    line = log_line(task, one_hot(task, [3]), "0123abcd")  # no key sent
    counts, matches = Joiner([line], DELAY).join([label("0123abcd", 2.0)])
    assert counts["joined"] == 1
    assert matches[0].label.label == 2.0


def test_a_key_used_by_many_requests_labels_the_latest_before_the_label():
    task = task_of("binary")
    lines = [
        log_line(
            task, one_hot(task, [0]), f"r{hour}", key="caller", time=NOW + timedelta(hours=hour)
        )
        for hour in (0, 1, 2)
    ]
    _, matches = Joiner(lines, DELAY).join([label("caller", "yes", after=timedelta(hours=1.5))])
    assert [match.record["request_id"] for match in matches] == ["r1"]


def test_late_duplicate_and_unknown_labels_are_counted_not_joined():
    task = task_of("multiclass")
    lines = [log_line(task, one_hot(task, [0, 1]), "r1", key="k1")]
    first = task.classes[0]
    labels = [
        label("k1", first),
        label("k1", first, after=timedelta(hours=2)),  # the same row again: the first counts
        label("k1", first, row=1, after=DELAY + timedelta(seconds=1)),  # too long after
        label("k1", first, row=2),  # the request had two rows
        label("k2", first),  # no such key
        label("k1", first, row=1, after=-timedelta(hours=1)),  # before the prediction
    ]
    counts, matches = Joiner(lines, DELAY).join(labels)
    assert counts == {"joined": 1, "late": 1, "duplicate": 1, "unknown": 3}
    assert [(match.label.row, match.label.time) for match in matches] == [(0, labels[0].time)]


def test_recorded_labels_are_all_kept_and_counted_after_those_already_given(tmp_path):
    task = task_of("binary")
    store = LabelStore(tmp_path / "labels.jsonl")
    lines = [log_line(task, one_hot(task, [0]), "r1"), log_line(task, one_hot(task, [1]), "r2")]
    record_labels([label("r1", "no")], store, lines, DELAY)
    again = [label("r1", "yes", after=timedelta(hours=2)), label("r2", "yes"), label("r3", "no")]
    counts = record_labels(again, store, lines, DELAY)
    assert counts == {"joined": 1, "late": 0, "duplicate": 1, "unknown": 1}
    assert len(store.read()) == 4
    assert outcomes_sentence(counts).startswith("1 label a prediction; 0 came too late")
