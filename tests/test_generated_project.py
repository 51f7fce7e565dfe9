"""Set up a baked project of every task, and one that adopts a messy table of its own, and run
their loops for real: make, DVC, MLflow, the HTTP service and the drift check.

Each project is baked and set up once per run and shared by the tests. The set-ups and first
reproductions run in the background, side by side, while the tests go through the projects
ready before them.
"""

import csv
import io
import json
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd
import pytest

from tests.baking import TASKS, bake_into, declared_task_settings, read_yaml, task_settings
from tests.commands import make, project_python, run_make
from tests.conftest import SECONDS
from tests.described import Description, describe, project_path, request_rows
from tests.served import call, serving

pytestmark = pytest.mark.slow
T = TypeVar("T")

# A table of the kind people bring, with a target of its own, adopted by a project baked for
# another task.
ADOPTED = "adopted"
MESSY_ROWS = 5000
MESSY_TARGET = "renewed"
MESSY_TASK = "binary"  # its labels are "yes" and "no"
MESSY_ID, MESSY_DATE = "customer_id", "signed_up"
MESSY_CATEGORIES = {
    "region": ("north", "south", "east", "west"),
    "plan": ("basic", "plus", "premium"),
}
ADOPTED_FROM = next(task for task in TASKS if task != MESSY_TASK)
MISSING_SHARE = 0.05
PROJECTS = [*TASKS, ADOPTED]
# Set-ups and first reproductions side by side, one per core.
WORKERS = os.cpu_count() or 2
# Where `make serve` logs its predictions unless SERVING_PREDICTION_LOG says otherwise.
PREDICTION_LOG = "logs/predictions.jsonl"
# Rows per request when a whole split goes to the service.
BATCH_ROWS = 100
UNSEEN = "never-seen-before"
# The generated project's integration tests of its pipeline, run in its own environment.
PIPELINE_TESTS = ["-m", "pytest", "-q", "tests/integration/test_pipeline.py"]


@dataclass
class Prepared:
    """A baked project, set up, after its first `make repro`."""

    name: str
    project: Path
    first_repro: str
    # Wall seconds of the slow steps, reported at the end of the run.
    seconds: dict[str, float]
    # The project's own test runs, by name.
    own_tests: dict[str, subprocess.CompletedProcess] = field(default_factory=dict)


def timed(seconds: dict[str, float], name: str, run: Callable[[], T]) -> T:
    start = time.perf_counter()
    result = run()
    seconds[name] = time.perf_counter() - start
    return result


def set_up(name: str, project: Path) -> Prepared:
    seconds: dict[str, float] = {}
    timed(seconds, "make setup", lambda: make(project, "setup"))
    first_repro = timed(seconds, "make repro", lambda: make(project, "repro"))
    return Prepared(name, project, first_repro, seconds)


def adopt(project: Path, table: Path) -> Prepared:
    """Set up, adopt the table, reproduce, and run the project's own tests on it."""
    seconds: dict[str, float] = {}
    timed(seconds, "make setup", lambda: make(project, "setup"))
    adopting = ("adopt", f"DATA={table}", f"TARGET={MESSY_TARGET}")
    timed(seconds, "make adopt", lambda: make(project, *adopting))
    first_repro = timed(seconds, "make repro", lambda: make(project, "repro"))
    # Its unit tests, and of its integration tests the pipeline's: the others test serving,
    # the registry and Dask, which the loop below runs on this table for real.
    own_tests = {
        "make unit": timed(seconds, "make unit", lambda: run_make(project, "unit")),
        "pipeline tests": timed(
            seconds, "pipeline tests", lambda: project_python(project, *PIPELINE_TESTS)
        ),
    }
    return Prepared(ADOPTED, project, first_repro, seconds, own_tests)


def messy_table(path: Path, rows: int = MESSY_ROWS, seed: int = 0) -> Path:
    """Customers: a text id, two categories, a date, numbers with gaps, and whether they renewed
    (yes or no), which follows from the numbers and a category."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            MESSY_ID: [f"C-{index:06d}" for index in rng.permutation(rows)],
            **{name: rng.choice(values, rows) for name, values in MESSY_CATEGORIES.items()},
            MESSY_DATE: (
                pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 730, rows), "D")
            ).strftime("%Y-%m-%d"),
            "age": rng.integers(18, 90, rows).astype(float),
            "monthly_spend": rng.lognormal(3, 0.5, rows).round(2),
            "data_gb": rng.gamma(2.0, 3.0, rows).round(3),
            "support_calls": rng.poisson(2, rows).astype(float),
        }
    )
    score = (
        0.05 * frame["monthly_spend"]
        - 0.6 * frame["support_calls"]
        + (frame["plan"] == "premium")
        + rng.normal(0, 1, rows)
    )
    frame[MESSY_TARGET] = np.where(score > score.median(), "yes", "no")
    for column in ("age", "monthly_spend", "data_gb", "support_calls"):
        frame.loc[rng.random(rows) < MISSING_SHARE, column] = np.nan
    frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def background(request, tmp_path_factory) -> Iterator[dict[str, Future]]:
    """Bake the projects the selected tests need, then set them up in the background."""
    selected = [item for item in request.session.items if item.module is request.module]
    wanted = {
        item.callspec.params["prepared"] for item in selected if "prepared" in item.fixturenames
    }
    if any("adopted" in item.fixturenames for item in selected):
        wanted.add(ADOPTED)
    root = tmp_path_factory.mktemp("e2e")
    # One after another: cookiecutter changes the working directory as it bakes.
    baked = {
        name: bake_into(root / name, task=ADOPTED_FROM if name == ADOPTED else name)
        for name in PROJECTS
        if name in wanted
    }
    pool = ThreadPoolExecutor(max_workers=WORKERS)
    futures = {}
    if ADOPTED in baked:  # the longest first: it also runs the project's own tests
        table = messy_table(root / "customers.csv")
        futures[ADOPTED] = pool.submit(adopt, baked.pop(ADOPTED), table)
    futures |= {name: pool.submit(set_up, name, project) for name, project in baked.items()}
    try:
        yield futures
    finally:
        pool.shutdown(cancel_futures=True)


@pytest.fixture(scope="module", params=PROJECTS)
def prepared(request, background) -> Prepared:
    return background[request.param].result()


@pytest.fixture(scope="module")
def description(prepared) -> Description:
    return describe(prepared.project)


def stages_run(output: str) -> list[str]:
    return [line.split("'")[1] for line in output.splitlines() if line.startswith("Running stage")]


def csv_header_and_rows(path: Path) -> tuple[list[str], int]:
    with path.open(newline="") as stream:
        reader = csv.reader(stream)
        return next(reader), sum(1 for _ in reader)


def contract(description: Description) -> set[str]:
    """The output contract's fields for the project's task, as tasks.py documents them."""
    if description.kind == "binary":
        return {"prediction", "probability"}
    if description.kind == "multiclass":
        return {"prediction", *(f"probability_{label}" for label in description.classes)}
    return {"prediction"}


def check_prediction(prediction: dict, description: Description) -> None:
    """One row's answer: the contract's fields (and the row's passthrough columns), with values
    that fit the task."""
    fields = contract(description)
    assert fields <= set(prediction) <= fields | set(description.passthrough), prediction
    probabilities = [prediction[name] for name in fields if name.startswith("probability")]
    assert all(0 <= value <= 1 for value in probabilities), prediction
    if description.classes:
        assert prediction["prediction"] in description.classes, prediction
    else:
        assert isinstance(prediction["prediction"], float | int), prediction
    if description.kind == "multiclass":
        assert sum(probabilities) == pytest.approx(1), prediction


def test_the_first_repro_runs_every_stage(prepared, record_property):
    record_property(
        SECONDS, {f"{prepared.name}: {step}": s for step, s in prepared.seconds.items()}
    )
    stages = read_yaml(prepared.project, "dvc.yaml")["stages"]
    assert sorted(stages_run(prepared.first_repro)) == sorted(stages)


# Tests of one project share it: each starts from a set-up, reproduced project and leaves one
# behind, and what a test needs from another step is a fixture, so they hold in any order.
@pytest.fixture(scope="module")
def promoted(prepared) -> str:
    """Register the first repro's model and promote it; what both printed."""
    return make(prepared.project, "register") + make(prepared.project, "promote")


def test_register_promote_predict_and_score(prepared, description, promoted):
    project = prepared.project
    assert "as challenger" in promoted
    assert "is now the champion" in promoted
    raw_data = project_path(project, "raw_data")
    _, rows = csv_header_and_rows(raw_data)
    make(project, "predict", "OUTPUT=predictions.csv")
    header, predicted = csv_header_and_rows(project / "predictions.csv")
    assert contract(description) <= set(header)
    assert predicted == rows
    scored = make(project, "score", f"INPUT={raw_data}", "OUTPUT=scores.csv")
    assert f"scored {rows} rows" in scored
    assert contract(description) <= set(csv_header_and_rows(project / "scores.csv")[0])


@dataclass(frozen=True)
class Served:
    """What the champion's service answered to the test split, and its prediction log."""

    answered: list[dict]
    # Per categorical feature, the status and answer for a category it never saw.
    unseen: dict[str, tuple[int, dict]]
    logged: list[dict]


@pytest.fixture(scope="module")
def served(prepared, description, promoted) -> Served:
    project = prepared.project
    rows = request_rows(project, project_path(project, "test_data"))
    (project / PREDICTION_LOG).unlink(missing_ok=True)
    answered = []
    with serving(project) as url:
        for start in range(0, len(rows), BATCH_ROWS):
            status, answer = call(f"{url}/predict", rows[start : start + BATCH_ROWS])
            assert status == 200, answer
            answered += answer["predictions"]
        status, answer = call(f"{url}/predict", rows[0])
        assert status == 200, answer
        answered += answer["predictions"]
        unseen = {
            name: call(f"{url}/predict", {**rows[0], name: UNSEEN})
            for name in description.categories
        }
    assert len(answered) == len(rows) + 1
    logged = [json.loads(line) for line in (project / PREDICTION_LOG).read_text().splitlines()]
    return Served(answered, unseen, logged)


def test_the_service_answers_in_the_tasks_contract_and_logs_it(description, served):
    for prediction in served.answered:
        check_prediction(prediction, description)
    assert served.unseen.keys() == description.categories.keys()
    for name, (status, answer) in served.unseen.items():
        assert status == 422, answer
        problem = json.dumps(answer["detail"])
        assert name in problem
        assert all(value in problem for value in description.categories[name]), problem
    assert [output for line in served.logged for output in line["outputs"]] == served.answered


def test_drift_checks_the_services_own_prediction_log(prepared, served):
    project = prepared.project
    assert served.logged
    result_file = project_path(project, "drift_result")
    result_file.unlink(missing_ok=True)
    result = run_make(project, "drift", f"BATCH={PREDICTION_LOG}")
    # 0 is no drift; the check's status 3, drift, make reports as its own failure.
    assert result.returncode == 0 or "Error 3" in result.stderr, result.stdout + result.stderr
    assert json.loads(result_file.read_text())


def test_a_second_repro_has_nothing_to_do(prepared):
    assert "Data and pipelines are up to date." in make(prepared.project, "repro")


def refused_values(description: Description) -> dict[str, str]:
    """A value per column that validation must refuse: a label beyond the declared ones (a
    third one in a binary project) or a word in a numeric target, and a category the schema
    does not list."""
    classes = description.classes
    if not classes:
        refused = {description.target: "unknown"}
    elif all(isinstance(label, int) for label in classes):
        refused = {description.target: str(max(classes) + 1)}
    else:
        refused = {description.target: f"{classes[0]}_or_else"}
    return refused | {name: UNSEEN for name in list(description.categories)[:1]}


def with_values(original: bytes, column: str, value: str) -> bytes:
    """The CSV file with `value` in every third row of `column`."""
    rows = list(csv.reader(io.StringIO(original.decode())))
    position = rows[0].index(column)
    for row in rows[1::3]:
        row[position] = value
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(rows)
    return text.getvalue().encode()


def test_bad_data_is_refused_at_validation_naming_the_column(prepared, description):
    project = prepared.project
    raw_data = project_path(project, "raw_data")
    original, lock = raw_data.read_bytes(), (project / "dvc.lock").read_bytes()
    try:
        for column, value in refused_values(description).items():
            raw_data.write_bytes(with_values(original, column, value))
            result = run_make(project, "repro")
            output = result.stdout + result.stderr
            assert result.returncode != 0, output
            assert stages_run(result.stdout) == ["validate"], output
            assert f"column {column!r}" in result.stderr, output
            assert "Traceback" not in result.stderr
            assert (project / "dvc.lock").read_bytes() == lock
    finally:
        raw_data.write_bytes(original)
    # The good data again: validate reruns on it, and nothing after it has anything to do.
    assert stages_run(make(project, "repro")) == ["validate"]


@pytest.fixture(scope="module")
def adopted(background) -> Prepared:
    return background[ADOPTED].result()


def test_adopt_describes_the_table_and_switches_the_task(adopted):
    project = adopted.project
    description = describe(project)
    assert description.kind == MESSY_TASK
    assert description.target == MESSY_TARGET
    assert sorted(description.classes) == ["no", "yes"]
    assert {name: set(values) for name, values in description.categories.items()} == {
        name: set(values) for name, values in MESSY_CATEGORIES.items()
    }
    assert description.identifiers == [MESSY_ID]
    assert description.time == MESSY_DATE
    assert task_settings(project) == declared_task_settings(project, MESSY_TASK)


@pytest.mark.parametrize("run", ["make unit", "pipeline tests"])
def test_the_adopted_project_passes_its_own_tests(adopted, run):
    result = adopted.own_tests[run]
    assert result.returncode == 0, result.stdout + result.stderr
