"""`make repro` measures what each stage costs; a repro with nothing to do reports it as saved."""

import json
from dataclasses import dataclass

import pytest
import yaml
from mlflow import MlflowClient

from {{ cookiecutter.package_name }}.core.config import load_params
from {{ cookiecutter.package_name }}.reporting import cost

from tests.integration.project_copy import set_param

PARAMS = load_params()
PATHS = PARAMS.paths
STAGES = list(yaml.safe_load(cost.PIPELINE_FILE.read_text())["stages"])


def summary(project) -> dict:
    return json.loads((project / PATHS.cost_result).read_text())


def statuses(written: dict) -> dict[str, str]:
    return {line["stage"]: line["status"] for line in written["stages"]}


@dataclass(frozen=True)
class TwoRepros:
    """What `make repro` printed and summarised on the fresh copy, then again at once."""

    first_stdout: str
    first: dict
    second_stdout: str
    second: dict


@pytest.fixture(scope="module")
def repros(project, run) -> TwoRepros:
    first = run("make", "repro")
    first_summary = summary(project)
    second = run("make", "repro")
    return TwoRepros(first.stdout, first_summary, second.stdout, summary(project))


def test_a_first_repro_measures_every_stage_and_logs_it_to_the_training_run(project, repros):
    first = repros.first
    assert statuses(first) == dict.fromkeys(STAGES, cost.RAN)
    for line in first["stages"]:
        usage = line["record"]["usage"]
        assert usage["wall_seconds"] > 0, line["stage"]
        assert usage["peak_memory_bytes"] > 0, line["stage"]
    assert first["ran"]["cpu_seconds"] > 0
    assert f"cost: {len(STAGES)} stages ran: " in repros.first_stdout

    training_run = json.loads((project / PATHS.training_run).read_text())
    client = MlflowClient(f"sqlite:///{project / 'mlflow.db'}")
    metrics = client.get_run(training_run["run_id"]).data.metrics
    for line in first["stages"]:
        logged = metrics[f"cost.{line['stage']}.cpu_seconds"]
        assert logged == pytest.approx(line["record"]["usage"]["cpu_seconds"]), line["stage"]
    currency = PARAMS.cost.currency
    assert metrics[f"cost.pipeline.amount_{currency.lower()}"] == pytest.approx(
        first["ran"]["amounts"][currency]
    )


def test_a_repro_with_nothing_to_do_saved_what_the_first_cost(repros):
    first, second = repros.first, repros.second
    assert second["pipeline_run"] != first["pipeline_run"]
    assert statuses(second) == dict.fromkeys(STAGES, cost.SKIPPED)
    assert second["saved"] == first["ran"]
    assert second["ran"]["stages"] == 0
    assert f"cost: no stage ran; DVC skipped {len(STAGES)} " in repros.second_stdout
    assert "logged to the training run" not in repros.second_stdout


def test_a_dvc_repro_outside_make_still_records_what_it_ran(project, run, repros):
    current = load_params(project / "params.yaml").evaluate.decision_threshold
    set_param(project, "evaluate", "decision_threshold", 0.25 if current != 0.25 else 0.75)
    run("dvc", "repro")
    result = run("make", "cost")
    unnamed = summary(project)

    assert unnamed["pipeline_run"] is None
    ran = {stage for stage, status in statuses(unnamed).items() if status == cost.RAN}
    assert ran == {"evaluate"}
    assert "The stages a `dvc repro` outside `make repro` ran last" in result.stdout
