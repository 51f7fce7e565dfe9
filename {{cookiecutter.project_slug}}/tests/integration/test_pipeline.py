"""dvc repro on the real sample data, and what it leaves behind."""

import json

import pytest
from mlflow import MlflowClient

from {{ cookiecutter.package_name }}.config import load_params
from tests.integration.project_copy import cli, set_param

RAW_DATA = "data/raw/breast_cancer.csv"
MODEL_NAME = load_params().mlflow.model_name


def stages_run(output: str) -> list[str]:
    return [line.split("'")[1] for line in output.splitlines() if line.startswith("Running stage")]


def test_repro_runs_every_stage_and_tracks_the_run(project, run):
    result = run("dvc", "repro")
    ran = stages_run(result.stdout)
    assert ran[:2] == ["validate", "prepare"]
    assert sorted(ran[2:]) == ["evaluate", "profile", "train", "tune"]
    assert ran.index("tune") < ran.index("train") < ran.index("evaluate")

    metrics = json.loads((project / "reports/metrics.json").read_text())
    assert set(metrics) == {"accuracy", "precision", "recall", "f1", "roc_auc"}
    assert metrics["roc_auc"] > 0.9
    assert (project / "models/model/MLmodel").exists()
    assert (project / "reports/plots/confusion.csv").read_text().startswith("actual,predicted")
    assert (project / "reports/plots/roc.csv").read_text().startswith("fpr,tpr")
    profile = json.loads((project / "models/reference_profile.json").read_text())
    assert profile["source"] == "data/processed/train.csv"
    assert len(profile["features"]["mean_radius"]["sample"]) == profile["rows"] == 455

    training_run = json.loads((project / "models/training_run.json").read_text())
    client = MlflowClient(f"sqlite:///{project / 'mlflow.db'}")
    mlflow_run = client.get_run(training_run["run_id"])
    head = run("git", "rev-parse", "HEAD").stdout.strip()
    assert mlflow_run.data.tags["git_commit"] == head
    raw_dvc = (project / "data/raw/breast_cancer.csv.dvc").read_text()
    assert f"md5: {mlflow_run.data.tags['raw_data_md5']}" in raw_dvc
    assert mlflow_run.data.params["C"] == "1.0"
    assert mlflow_run.data.metrics["test_f1"] == metrics["f1"]
    assert [item.dataset.name for item in mlflow_run.inputs.dataset_inputs] == ["train"]


def test_a_second_repro_has_nothing_to_do(project, run):
    result = run("dvc", "repro")
    assert stages_run(result.stdout) == []
    assert "Data and pipelines are up to date." in result.stdout


def test_a_changed_param_reruns_only_its_stages(project, run):
    set_param(project, "train", "C", 0.5)
    result = run("dvc", "repro")
    # The search starts from the train section's values, so it reruns too (instantly while off).
    assert stages_run(result.stdout) == ["tune", "train", "evaluate"]
    assert "Stage 'prepare' didn't change, skipping" in result.stdout


def replace_field(text: str, line: int, column: str, value: str) -> str:
    """Put `value` in one cell of a CSV text; lines are numbered from 1, the header's."""
    lines = text.splitlines(keepends=True)
    position = lines[0].strip().split(",").index(column)
    fields = lines[line - 1].rstrip("\n").split(",")
    fields[position] = value
    lines[line - 1] = ",".join(fields) + "\n"
    return "".join(lines)


def without_column(text: str, column: str) -> str:
    position = text.splitlines()[0].split(",").index(column)
    rows = [line.split(",") for line in text.splitlines()]
    return "".join(",".join(row[:position] + row[position + 1 :]) + "\n" for row in rows)


# Each broken input, and the message that names what is wrong with it.
BROKEN_INPUTS = {
    "missing-column": (
        lambda text: without_column(text, "mean_area").encode(),
        "the table failed column_in_dataframe (columns missing): 'mean_area'",
    ),
    "wrong-type": (
        lambda text: replace_field(text, 6, "mean_area", "large").encode(),
        "column 'mean_area' failed coerce_dtype('float64') (values of the wrong type): "
        "line 6: 'large'",
    ),
    "out-of-range": (
        lambda text: replace_field(text, 4, "worst_radius", "-3.0").encode(),
        "column 'worst_radius' failed greater_than_or_equal_to(0): line 4: -3.0",
    ),
    "missing-value": (
        lambda text: replace_field(text, 5, "mean_texture", "").encode(),
        "column 'mean_texture' failed not_nullable (empty cells): line 5: nan",
    ),
    "duplicate-row": (
        lambda text: (text + text.splitlines(keepends=True)[9]).encode(),
        "(rows whose features repeat an earlier row): line 571",
    ),
    "too-few-rows": (
        lambda text: "".join(text.splitlines(keepends=True)[:11]).encode(),
        "10 rows, fewer than the 100 that params.yaml (data.min_rows) requires",
    ),
    "empty-file": (lambda text: b"", "the file is empty"),
    "not-csv": (
        lambda text: bytes(range(256)) * 8,
        "not a text CSV file (it holds binary data)",
    ),
    "truncated-file": (
        lambda text: text[: len(text) - 100].encode(),
        "line 570, the last, has 15 of the 31 fields in the header: the file looks truncated",
    ),
}


def registry_state(project) -> tuple[str, list[str]]:
    """The champion's version and every registered version."""
    client = MlflowClient(f"sqlite:///{project / 'mlflow.db'}")
    versions = client.search_model_versions(f"name = '{MODEL_NAME}'")
    champion = client.get_model_version_by_alias(MODEL_NAME, "champion")
    return str(champion.version), sorted(str(version.version) for version in versions)


@pytest.fixture(scope="module")
def registered(project, run) -> tuple[str, list[str]]:
    """Register and promote the model from the last repro."""
    cli(run, "register")
    cli(run, "promote")
    return registry_state(project)


@pytest.mark.parametrize(("break_data", "message"), BROKEN_INPUTS.values(), ids=BROKEN_INPUTS)
def test_broken_data_stops_the_pipeline_before_prepare(
    project, run, registered, break_data, message
):
    raw = project / RAW_DATA
    good = raw.read_text()
    kept = [
        project / "data/processed/train.csv",
        project / "models/reference_profile.json",
        project / "models/model/model.skops",
        project / "reports/metrics.json",
    ]
    before = [path.read_bytes() for path in kept]
    raw.write_bytes(break_data(good))
    try:
        result = run("dvc", "repro", check=False)
    finally:
        raw.write_text(good)
    assert result.returncode != 0
    assert f"error: {RAW_DATA}: " in result.stderr
    assert message in result.stderr
    assert "Running stage 'prepare'" not in result.stdout
    assert "Traceback" not in result.stderr
    assert [path.read_bytes() for path in kept] == before
    assert registry_state(project) == registered


def test_good_data_again_reruns_only_validate(run):
    assert stages_run(run("dvc", "repro").stdout) == ["validate"]
