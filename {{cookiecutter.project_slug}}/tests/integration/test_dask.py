"""The search and batch scoring on a real Dask cluster give what they give on this machine."""

import json
from pathlib import Path

import pandas as pd
import pytest
from mlflow import MlflowClient

from {{ cookiecutter.package_name }}.core.config import load_params
from {{ cookiecutter.package_name }}.infra.compute import SCHEDULER_VARIABLE
from {{ cookiecutter.package_name }}.reporting import cost

from tests.integration.dask_cluster import local_cluster, tasks_run_per_worker
from tests.integration.project_copy import (
    PROJECT_ROOT,
    cli,
    copy_project,
    runner,
    set_param,
)

PATHS = load_params().paths


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with local_cluster(tmp_path_factory.mktemp("dask"), workers=2) as address:
        yield address


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A project with the search on, reproduced and registered on this machine."""
    copy = copy_project(tmp_path_factory.mktemp("copy") / PROJECT_ROOT.name)
    set_param(copy, "tune", "enabled", True)
    run = runner(copy)
    cli(run, "init-tracking")
    run("dvc", "repro")
    cli(run, "register")
    return copy


def search_result(project: Path) -> dict:
    return json.loads((project / PATHS.tuned_params).read_text())


def test_the_search_finds_the_same_best_settings_on_the_cluster(project, cluster):
    local = search_result(project)
    before = tasks_run_per_worker(cluster)
    cli(runner(project, {SCHEDULER_VARIABLE: cluster}), "tune")
    on_cluster = search_result(project)

    assert all(
        after > then for after, then in zip(tasks_run_per_worker(cluster), before, strict=True)
    )
    assert on_cluster["best_params"] == local["best_params"]
    best_cv = f"best_cv_{load_params(project / 'params.yaml').tune.scoring}"
    assert on_cluster[best_cv] == pytest.approx(local[best_cv])
    client = MlflowClient(f"sqlite:///{project / 'mlflow.db'}")
    search_run = client.get_run(on_cluster["run_id"])
    assert search_run.data.tags["compute"] == f"the Dask cluster at {cluster}"
    trials = client.search_runs(
        [search_run.info.experiment_id],
        filter_string=f"tags.mlflow.parentRunId = '{search_run.info.run_id}'",
    )
    assert len(trials) == on_cluster["trials"] == local["trials"]
    # Each trial tried a value of every setting in the space.
    assert {frozenset(trial.data.params) for trial in trials} == {
        frozenset(on_cluster["best_params"])
    }


def test_the_search_on_the_cluster_counts_what_the_workers_spent(project, cluster):
    cli(runner(project, {SCHEDULER_VARIABLE: cluster}), "tune")
    record = cost.read_records(project / PATHS.cost_records)["tune"]

    assert record.cluster_workers == 2
    assert record.cluster.cpu_seconds > 0
    assert record.cluster.peak_memory_bytes > 0
    prices = load_params(project / "params.yaml").cost
    assert record.amount == pytest.approx(
        cost.price(record.usage, prices.prices) + cost.price(record.cluster, prices.cluster_prices)
    )


def test_batch_scores_are_the_same_on_the_cluster(project, cluster):
    batch = project / "batch"
    batch.mkdir()
    rows = pd.read_csv(project / PATHS.raw_data).assign(row_id=lambda frame: range(len(frame)))
    for part in range(3):
        rows.iloc[part::3].to_csv(batch / f"part-{part}.csv", index=False)

    score = ["score", "--model", "challenger", "--input", "batch/*.csv", "--output"]
    cli(runner(project), *score, "local.parquet")
    result = cli(runner(project, {SCHEDULER_VARIABLE: cluster}), *score, "cluster.parquet")

    assert f"scored {len(rows)} rows" in result.stdout
    local = pd.read_parquet(project / "local.parquet")
    on_cluster = pd.read_parquet(project / "cluster.parquet")
    pd.testing.assert_frame_equal(on_cluster, local)
    assert sorted(local["row_id"]) == list(range(len(rows)))
    assert set(local["model_version"]) == {"1"}
