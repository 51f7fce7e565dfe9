"""Set up a baked project and run its own commands for real: make, dvc, nox."""

from pathlib import Path

import pytest

from tests.baking import bake_into, set_param
from tests.commands import make

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return bake_into(tmp_path_factory.mktemp("e2e"))


def test_make_help_lists_the_task_vocabulary(project):
    listed = {line.split()[0] for line in make(project, "help").splitlines() if line.strip()}
    assert {
        "setup",
        "repro",
        "register",
        "promote",
        "rollback",
        "lineage",
        "predict",
        "score",
        "drift",
        "serve",
        "export",
        "image",
        "deploy",
        "rollout-report",
        "test",
        "lint",
    } <= listed


def test_setup_repro_register_promote_predict(project):
    make(project, "setup")
    assert "Running stage 'train'" in make(project, "repro")
    assert "as challenger" in make(project, "register")
    assert "is now the champion" in make(project, "promote")
    make(project, "predict", "OUTPUT=predictions.csv")
    predictions = (project / "predictions.csv").read_text().splitlines()
    assert predictions[0].startswith("model_version,probability,prediction,mean_radius")
    assert len(predictions) == 1 + 569
    scored = make(project, "score", "INPUT=data/raw/*.csv", "OUTPUT=scores.csv")
    assert "scored 569 rows" in scored
    assert (project / "scores.csv").read_text().startswith("malignant,model_version,probability")
    assert "no drift" in make(project, "drift", "BATCH=data/processed/test.csv")


def test_a_second_repro_has_nothing_to_do(project):
    assert "Data and pipelines are up to date." in make(project, "repro")


def test_a_param_change_reruns_only_dependent_stages(project):
    set_param(project, "evaluate", "decision_threshold", 0.4)
    output = make(project, "repro")
    ran = [line.split("'")[1] for line in output.splitlines() if line.startswith("Running stage")]
    assert ran == ["evaluate"]
