"""dvc repro on the project's own data, and what it leaves behind."""

import io
import json
import re
from dataclasses import dataclass

import pandas as pd
import pytest
import yaml
from mlflow import MlflowClient

from {{ cookiecutter.package_name }}.core.config import load_params
from {{ cookiecutter.package_name }}.core.tasks import project_task
from {{ cookiecutter.package_name }}.project.model import TrainParams
from {{ cookiecutter.package_name }}.project.schema import DATA

from tests.changed_params import another_train_value
from tests.integration.project_copy import cli, set_param
from tests.unit.descriptions import refused

PARAMS = load_params()
PATHS = PARAMS.paths
TASK = project_task(PARAMS.task.kind)


def stages_run(output: str) -> list[str]:
    return [line.split("'")[1] for line in output.splitlines() if line.startswith("Running stage")]


@dataclass(frozen=True)
class FirstRepro:
    """What the first repro printed and left behind, before any test changed the project."""

    stdout: str
    params: dict
    metrics: dict
    training_run: dict
    tuned: dict


@pytest.fixture(scope="module")
def reproduced(project, run) -> FirstRepro:
    """The first repro of the copy. Every test starts from a reproduced project and leaves one
    behind, so that tests hold in any order."""
    result = run("dvc", "repro")
    return FirstRepro(
        stdout=result.stdout,
        params=yaml.safe_load((project / "params.yaml").read_text()),
        metrics=json.loads((project / PATHS.metrics).read_text()),
        training_run=json.loads((project / PATHS.training_run).read_text()),
        tuned=json.loads((project / PATHS.tuned_params).read_text()),
    )


def test_repro_runs_every_stage_and_tracks_the_run(project, run, reproduced):
    ran = stages_run(reproduced.stdout)
    assert ran[:2] == ["validate", "prepare"]
    assert sorted(ran[2:]) == ["evaluate", "profile", "train", "tune"]
    assert ran.index("tune") < ran.index("train") < ran.index("evaluate")

    metrics = reproduced.metrics
    assert set(metrics) == set(TASK.metrics)
    assert (project / PATHS.model / "MLmodel").exists()
    for name, plot in TASK.plots.items():
        header = (project / PATHS.plots / name).read_text().splitlines()[0].split(",")
        assert {plot["x"], plot["y"]} <= set(header), name
    train_rows = len(pd.read_csv(project / PATHS.train_data))
    profile = json.loads((project / PATHS.reference_profile).read_text())
    assert (profile["source"], profile["rows"]) == (str(PATHS.train_data), train_rows)

    training_run = reproduced.training_run
    client = MlflowClient(f"sqlite:///{project / 'mlflow.db'}")
    mlflow_run = client.get_run(training_run["run_id"])
    head = run("git", "rev-parse", "HEAD").stdout.strip()
    assert mlflow_run.data.tags["git_commit"] == head
    raw_dvc = (project / f"{PATHS.raw_data}.dvc").read_text()
    assert f"md5: {mlflow_run.data.tags['raw_data_md5']}" in raw_dvc
    # The train section of params.yaml, with the search's best values when it ran.
    params = reproduced.params
    best = reproduced.tuned["best_params"]
    used = TrainParams.model_validate({**params["train"], **best}).model_dump()
    logged = mlflow_run.data.params
    assert {name: logged[name] for name in used} == {
        name: str(value) for name, value in used.items()
    }
    assert logged["split.seed"] == str(params["split"]["seed"])
    # As first logged: a later evaluate of the same model (another decision threshold, in a test
    # that ran before this one) logs to the same run again.
    history = {
        name: client.get_metric_history(mlflow_run.info.run_id, f"test_{name}") for name in metrics
    }
    first_logged = {
        f"test_{name}": min(logged, key=lambda metric: (metric.timestamp, metric.step)).value
        for name, logged in history.items()
    }
    assert first_logged == {f"test_{name}": value for name, value in metrics.items()}
    assert [item.dataset.name for item in mlflow_run.inputs.dataset_inputs] == ["train"]


def test_a_second_repro_has_nothing_to_do(reproduced, run):
    result = run("dvc", "repro")
    assert stages_run(result.stdout) == []
    assert "Data and pipelines are up to date." in result.stdout


def test_a_changed_train_setting_reruns_only_the_stages_that_use_it(project, run, reproduced):
    name, value = another_train_value(load_params(project / "params.yaml"))
    set_param(project, "train", name, value)
    result = run("dvc", "repro")
    # The search starts from the train section's values, so it reruns too (instantly while off).
    assert stages_run(result.stdout) == ["tune", "train", "evaluate"]
    assert "Stage 'prepare' didn't change, skipping" in result.stdout


def test_a_changed_decision_threshold_reruns_only_evaluate(project, run, reproduced):
    current = load_params(project / "params.yaml").evaluate.decision_threshold
    set_param(project, "evaluate", "decision_threshold", 0.25 if current != 0.25 else 0.75)
    assert stages_run(run("dvc", "repro").stdout) == ["evaluate"]


def cells(text: str) -> pd.DataFrame:
    """The raw data's cells as the text they are."""
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)


def with_cell(text: str, line: int, column: str, value) -> str:
    """The CSV text with one cell replaced; lines are numbered from 1, the header's."""
    frame = cells(text)
    frame.loc[line - 2, column] = str(value)
    return frame.to_csv(index=False)


def truncated(text: str) -> str:
    """The CSV text with its last line cut after the first field."""
    last_line = text.rstrip("\n").rindex("\n") + 1
    return text[: text.index(",", last_line)]


FEATURE, TARGET = DATA.feature_names[0], DATA.target.name
ROWS, COLUMNS = cells(PATHS.raw_data.read_text()).shape
MIN_ROWS = PARAMS.data.min_rows

# Each broken input, and a pattern of the message that names what is wrong with it.
BROKEN_INPUTS = {
    "missing-column": (
        lambda text: cells(text).drop(columns=FEATURE).to_csv(index=False).encode(),
        rf"the table failed column_in_dataframe \(columns missing\): '{FEATURE}'",
    ),
    "refused-value": (
        lambda text: with_cell(text, 6, FEATURE, refused(DATA, FEATURE)).encode(),
        rf"column '{FEATURE}' failed .*: line 6\b",
    ),
    "missing-target": (
        lambda text: with_cell(text, 5, TARGET, "").encode(),
        rf"column '{TARGET}' failed .*: line 5\b",
    ),
    "duplicate-row": (
        lambda text: (text + text.splitlines(keepends=True)[9]).encode(),
        rf"failed multiple_fields_uniqueness .*: line {ROWS + 2}\n",
    ),
    "too-few-rows": (
        lambda text: "".join(text.splitlines(keepends=True)[:MIN_ROWS]).encode(),
        rf"{MIN_ROWS - 1} rows, fewer than the {MIN_ROWS} that params\.yaml \(data\.min_rows\)",
    ),
    "empty-file": (lambda text: b"", "the file is empty"),
    "not-csv": (
        lambda text: bytes(range(256)) * 8,
        r"not a text CSV file \(it holds binary data\)",
    ),
    "truncated-file": (
        lambda text: truncated(text).encode(),
        rf"line {ROWS + 1}, the last, has 1 of the {COLUMNS} fields in the header: the file "
        "looks truncated",
    ),
}


def registry_state(project) -> tuple[dict[str, str], list[str]]:
    """The aliases and every registered version."""
    client = MlflowClient(f"sqlite:///{project / 'mlflow.db'}")
    name = PARAMS.mlflow.model_name
    versions = client.search_model_versions(f"name = '{name}'")
    aliases = client.get_registered_model(name).aliases
    return aliases, sorted(str(version.version) for version in versions)


@pytest.fixture(scope="module")
def registered(project, run, reproduced) -> tuple[dict[str, str], list[str]]:
    """Register the model from the last repro; promote it if it passes the gate."""
    cli(run, "register")
    cli(run, "promote")
    return registry_state(project)


@pytest.mark.parametrize(("break_data", "message"), BROKEN_INPUTS.values(), ids=BROKEN_INPUTS)
def test_broken_data_stops_the_pipeline_before_prepare(
    project, run, registered, break_data, message
):
    raw = project / PATHS.raw_data
    good = raw.read_text()
    kept = [
        project / PATHS.train_data,
        project / PATHS.reference_profile,
        project / PATHS.model / "MLmodel",
        project / PATHS.metrics,
    ]
    before = [path.read_bytes() for path in kept]
    raw.write_bytes(break_data(good))
    try:
        result = run("dvc", "repro", check=False)
    finally:
        raw.write_text(good)
    assert result.returncode != 0
    assert f"error: {PATHS.raw_data}: " in result.stderr
    assert re.search(message, result.stderr), result.stderr
    assert "Running stage 'prepare'" not in result.stdout
    assert "Traceback" not in result.stderr
    assert [path.read_bytes() for path in kept] == before
    assert registry_state(project) == registered
    # The good data again: validate reruns on it, and nothing after it has anything to do.
    assert stages_run(run("dvc", "repro").stdout) == ["validate"]
