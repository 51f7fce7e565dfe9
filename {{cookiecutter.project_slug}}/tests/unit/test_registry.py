"""Registration refuses a model the pipeline did not finish with, whatever the data."""

import shutil

import pytest
import yaml

from {{ cookiecutter.package_name }} import lineage, registry
from {{ cookiecutter.package_name }}.config import PARAMS_FILE, load_params
from {{ cookiecutter.package_name }}.errors import ProjectError


def write_lock(path, model: str, trained: str, evaluated: str | None) -> None:
    stages = {"train": {"cmd": "train", "outs": [{"path": model, "md5": trained}]}}
    if evaluated is not None:
        stages["evaluate"] = {"cmd": "evaluate", "deps": [{"path": model, "md5": evaluated}]}
    path.write_text(yaml.safe_dump({"schema": "2.0", "stages": stages}))


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    """An empty project directory with the project's params. The checks come before any
    connection to the registry, so there is none."""
    shutil.copy(PARAMS_FILE, tmp_path / "params.yaml")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path}/absent.db")
    return tmp_path


def test_the_current_output_hash_wins_over_a_stale_dependency(tmp_path):
    lock = tmp_path / "dvc.lock"
    write_lock(lock, "models/model", trained="new", evaluated="old")
    assert lineage.dvc_lock_hashes(lock)["models/model"] == "new"
    assert lineage.dvc_lock_stages(lock)["evaluate"]["deps"] == {"models/model": "old"}


@pytest.mark.parametrize("evaluated", [None, "an older model"])
def test_a_model_the_pipeline_did_not_evaluate_is_not_registered(workspace, evaluated):
    params = load_params()
    model = str(params.paths.model)
    write_lock(workspace / "dvc.lock", model, trained="this model", evaluated=evaluated)
    params.paths.metrics.parent.mkdir(parents=True, exist_ok=True)
    params.paths.metrics.write_text("{}")
    with pytest.raises(ProjectError, match=r"stopped before the evaluate stage; run `make repro`"):
        registry.register(params)


def test_a_model_without_metrics_is_not_registered(workspace):
    params = load_params()
    model = str(params.paths.model)
    write_lock(workspace / "dvc.lock", model, trained="this model", evaluated="this model")
    with pytest.raises(ProjectError, match=r"has no metrics"):
        registry.register(params)
