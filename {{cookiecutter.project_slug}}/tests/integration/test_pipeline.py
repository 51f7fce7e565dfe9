"""dvc repro on the real sample data, and what it leaves behind."""

import json

from mlflow import MlflowClient

from tests.integration.project_copy import set_param


def stages_run(output: str) -> list[str]:
    return [line.split("'")[1] for line in output.splitlines() if line.startswith("Running stage")]


def test_repro_runs_every_stage_and_tracks_the_run(project, run):
    result = run("dvc", "repro")
    assert stages_run(result.stdout) == ["validate", "prepare", "train", "evaluate"]

    metrics = json.loads((project / "reports/metrics.json").read_text())
    assert set(metrics) == {"accuracy", "precision", "recall", "f1", "roc_auc"}
    assert metrics["roc_auc"] > 0.9
    assert (project / "models/model/MLmodel").exists()
    assert (project / "reports/plots/confusion.csv").read_text().startswith("actual,predicted")
    assert (project / "reports/plots/roc.csv").read_text().startswith("fpr,tpr")

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
    assert stages_run(result.stdout) == ["train", "evaluate"]
    assert "Stage 'prepare' didn't change, skipping" in result.stdout


def test_broken_data_stops_the_pipeline_before_prepare(project, run):
    raw = project / "data/raw/breast_cancer.csv"
    good = raw.read_text()
    kept = [project / "data/processed/train.csv", project / "models/model/model.skops"]
    before = [path.read_bytes() for path in kept]
    raw.write_text(good.replace("mean_radius", "radius_mean", 1))
    try:
        result = run("dvc", "repro", check=False)
    finally:
        raw.write_text(good)
    assert result.returncode != 0
    assert "error: data/raw/breast_cancer.csv: the data does not match the schema" in result.stderr
    assert "mean_radius" in result.stderr
    assert "Running stage 'prepare'" not in result.stdout
    assert "Traceback" not in result.stderr
    assert [path.read_bytes() for path in kept] == before
