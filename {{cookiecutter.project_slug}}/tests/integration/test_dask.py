"""The search and batch scoring on a real Dask cluster give what they give on this machine."""

import json
from pathlib import Path

import pandas as pd
import pytest
from mlflow import MlflowClient

from {{ cookiecutter.package_name }}.compute import SCHEDULER_VARIABLE
from tests.integration.dask_cluster import local_cluster, tasks_run_per_worker
from tests.integration.project_copy import (
    PROJECT_ROOT,
    cli,
    copy_project,
    runner,
    set_param,
)

RAW_DATA = "data/raw/breast_cancer.csv"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with local_cluster(tmp_path_factory.mktemp("dask"), workers=2) as address:
        yield address


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A project with the search on, reproduced, registered and promoted on this machine."""
    copy = copy_project(tmp_path_factory.mktemp("copy") / PROJECT_ROOT.name)
    set_param(copy, "tune", "enabled", True)
    run = runner(copy)
    cli(run, "init-tracking")
    run("dvc", "repro")
    cli(run, "register")
    cli(run, "promote")
    return copy


def search_result(project: Path) -> dict:
    return json.loads((project / "models/tuned_params.json").read_text())


def test_the_search_finds_the_same_best_settings_on_the_cluster(project, cluster):
    local = search_result(project)
    before = tasks_run_per_worker(cluster)
    cli(runner(project, {SCHEDULER_VARIABLE: cluster}), "tune")
    on_cluster = search_result(project)

    assert all(
        after > then for after, then in zip(tasks_run_per_worker(cluster), before, strict=True)
    )
    assert on_cluster["best_params"] == local["best_params"]
    assert on_cluster["best_cv_roc_auc"] == pytest.approx(local["best_cv_roc_auc"])
    client = MlflowClient(f"sqlite:///{project / 'mlflow.db'}")
    search_run = client.get_run(on_cluster["run_id"])
    assert search_run.data.tags["compute"] == f"the Dask cluster at {cluster}"
    trials = client.search_runs(
        [search_run.info.experiment_id],
        filter_string=f"tags.mlflow.parentRunId = '{search_run.info.run_id}'",
    )
    assert len(trials) == on_cluster["trials"] == 8
    assert {trial.data.params["C"] for trial in trials} == {"0.01", "0.1", "1.0", "10.0"}


def test_batch_scores_are_the_same_on_the_cluster(project, cluster):
    batch = project / "batch"
    batch.mkdir()
    rows = pd.read_csv(project / RAW_DATA).assign(row_id=lambda frame: range(len(frame)))
    for part in range(3):
        rows.iloc[part::3].to_csv(batch / f"part-{part}.csv", index=False)

    cli(runner(project), "score", "--input", "batch/*.csv", "--output", "local.parquet")
    result = cli(
        runner(project, {SCHEDULER_VARIABLE: cluster}),
        "score", "--input", "batch/*.csv", "--output", "cluster.parquet",
    )  # fmt: skip

    assert f"scored {len(rows)} rows" in result.stdout
    local = pd.read_parquet(project / "local.parquet")
    on_cluster = pd.read_parquet(project / "cluster.parquet")
    pd.testing.assert_frame_equal(on_cluster, local)
    assert sorted(local["row_id"]) == list(range(len(rows)))
    assert set(local["model_version"]) == {"1"}
