import json
import os
import re
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import joblib
import pytest
import yaml

from {{ cookiecutter.package_name }}.core import config
from {{ cookiecutter.package_name }}.core.config import CostParams, MachineClass, load_params
from {{ cookiecutter.package_name }}.core.errors import ConfigError, ProjectError
from {{ cookiecutter.package_name }}.reporting import cost

STAGES = list(yaml.safe_load(cost.PIPELINE_FILE.read_text())["stages"])
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
MB = cost.MB


def spin(iterations: int) -> float:
    """CPU-bound work; returns the CPU seconds it took this process."""
    started = time.process_time()
    total = 0
    for number in range(iterations):
        total += number * number
    return time.process_time() - started


def test_the_meter_measures_cpu_bound_work():
    with cost.Meter() as meter:
        spent = spin(3_000_000)
    usage = meter.usage
    assert usage.cpu_seconds >= spent > 0
    assert usage.cpu_seconds <= usage.wall_seconds * os.cpu_count() + 0.05
    assert meter.cluster is None


def test_the_meter_counts_child_processes():
    program = "import time\nfor n in range(3_000_000): n * n\nprint(time.process_time())"
    with cost.Meter() as meter:
        child = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True)
    assert meter.usage.cpu_seconds >= float(child.stdout) > 0


def test_the_meter_counts_the_work_of_joblibs_kept_workers():
    # joblib keeps its worker processes for the next call: the meter ends them to count them.
    with cost.Meter() as meter:
        spent = joblib.Parallel(n_jobs=2)(joblib.delayed(spin)(2_000_000) for _ in range(4))
    assert meter.usage.cpu_seconds >= sum(spent) > 0


def test_peak_memory_grows_with_a_large_allocation():
    with cost.Meter() as before:
        pass
    # More than the peak so far, so the peak must rise.
    size = before.usage.peak_memory_bytes + 64 * MB
    with cost.Meter() as meter:
        block = b"\x01" * size
        del block
    assert meter.usage.peak_memory_bytes >= before.usage.peak_memory_bytes + 64 * MB


def test_the_price_is_core_hours_and_gb_hours_at_the_machines_prices():
    usage = cost.Usage(wall_seconds=1800, cpu_seconds=7200, peak_memory_bytes=3 * cost.GB)
    assert (usage.core_hours, usage.gb_hours) == (2.0, 1.5)
    assert cost.price(usage, MachineClass(core_hour=0.25, gb_hour=0.5)) == 2 * 0.25 + 1.5 * 0.5


def test_a_cluster_is_priced_at_its_workers_class():
    here = cost.Usage(wall_seconds=1800, cpu_seconds=7200, peak_memory_bytes=3 * cost.GB)
    cluster = cost.Usage(wall_seconds=3600, cpu_seconds=3 * 3600, peak_memory_bytes=cost.GB // 2)
    machines = {
        "laptop": MachineClass(core_hour=0.25, gb_hour=0.5),
        "workers": MachineClass(core_hour=1.0, gb_hour=2.0),
    }
    priced = CostParams(
        machines=machines, machine="laptop", cluster_machine="workers", currency="EUR"
    )
    assert cost.stage_amount(here, cluster, priced) == 1.25 + (3 * 1.0 + 0.5 * 2.0)
    assert cost.stage_amount(here, None, priced) == 1.25
    same = priced.model_copy(update={"cluster_machine": None})
    assert cost.stage_amount(here, cluster, same) == 1.25 + (3 * 0.25 + 0.5 * 0.5)


def write_params(tmp_path: Path, change) -> Path:
    params = yaml.safe_load(config.PARAMS_FILE.read_text())
    change(params["cost"])
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params))
    return path


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda section: section.update(machine="gpu-box"),
            r"cost\.machine: 'gpu-box' is not a class in cost\.machines; declare it there or "
            r"name one of .*\blaptop\b",
        ),
        (
            lambda section: section.update(cluster_machine="gpu-box"),
            r"cost\.cluster_machine: 'gpu-box' is not a class in cost\.machines",
        ),
        (
            lambda section: section["machines"]["laptop"].update(core_hour=-1),
            r"cost\.machines\.laptop\.core_hour: Input should be greater than or equal to 0",
        ),
        (lambda section: section.update(currency="dollars"), r"cost\.currency: String should"),
        (lambda section: section.update(price=1), r"cost\.price: Extra inputs are not permitted"),
    ],
    ids=["machine", "cluster-machine", "negative-price", "currency", "unknown-key"],
)
def test_a_wrong_cost_section_is_named_by_file_and_key(tmp_path, change, message):
    path = write_params(tmp_path, change)
    with pytest.raises(ConfigError, match=rf"^{re.escape(str(path))}: .*{message}"):
        load_params(path)


@pytest.fixture
def workspace(tmp_path, monkeypatch) -> Path:
    """A directory with the project's params and pipeline, where records and summaries go."""
    for name in (config.PARAMS_FILE, cost.PIPELINE_FILE):
        shutil.copy(name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_stage_record_holds_the_measured_run_priced_and_its_pipeline_run(workspace):
    params = load_params()
    with cost.Meter() as meter:
        spin(100_000)
    record = cost.record_stage("train", meter, params, {cost.PIPELINE_RUN_VARIABLE: "run-1"})
    assert (record.pipeline_run, record.usage, record.machine) == (
        "run-1",
        meter.usage,
        params.cost.machine,
    )
    assert record.amount == cost.price(meter.usage, params.cost.prices) > 0
    assert cost.read_records(params.paths.cost_records) == {"train": record}
    unnamed = cost.record_stage("train", meter, params, {})
    assert cost.read_records(params.paths.cost_records)["train"].pipeline_run is None
    assert unnamed.finished_at > record.finished_at


def test_a_file_that_is_not_a_record_is_named(workspace):
    records = load_params().paths.cost_records
    records.mkdir(parents=True)
    (records / "train.json").write_text('{"stage": "train"}')
    with pytest.raises(ProjectError, match=r"train\.json: not a cost record .*delete it"):
        cost.read_records(records)


def a_record(stage: str, run: str | None, amount: float, minutes: int = 0) -> cost.StageCost:
    return cost.StageCost(
        stage=stage,
        pipeline_run=run,
        finished_at=(NOW + timedelta(minutes=minutes)).isoformat(),
        usage=cost.Usage(wall_seconds=10.0, cpu_seconds=8.0, peak_memory_bytes=200 * MB),
        cluster=None,
        cluster_workers=0,
        machine="laptop",
        cluster_machine=None,
        currency="USD",
        amount=amount,
    )


def test_a_run_that_skipped_every_stage_saved_what_they_last_cost():
    records = {stage: a_record(stage, "first", 0.25) for stage in STAGES}
    summary = cost.summarise(STAGES, records, "second", {}, NOW)
    assert [line.status for line in summary.stages] == [cost.SKIPPED] * len(STAGES)
    saved = cost.Totals.of(summary.records(cost.SKIPPED))
    assert saved.amounts == {"USD": 0.25 * len(STAGES)}
    assert saved.wall_seconds == 10.0 * len(STAGES)
    assert summary.headline().startswith(f"no stage ran; DVC skipped {len(STAGES)} ")


def test_stages_of_the_run_ran_the_others_were_skipped_or_never_measured():
    first, *middle, last = STAGES
    records = {first: a_record(first, "now", 0.5), last: a_record(last, "before", 0.25)}
    summary = cost.summarise(STAGES, records, "now", {}, NOW)
    assert [line.status for line in summary.stages] == [
        cost.RAN,
        *[cost.NEVER_MEASURED] * len(middle),
        cost.SKIPPED,
    ]
    assert cost.Totals.of(summary.records(cost.RAN)).amounts == {"USD": 0.5}
    assert f"never measured: {', '.join(middle)}" in summary.headline()
    table = summary.to_markdown()
    assert f"| {first} | ran | 10.0 s | 8.0 s | 200 MB | 0.50 USD (laptop) |" in table
    assert f"| {middle[0]} | never measured | - | - | - | - |" in table


def test_the_training_run_gets_a_metric_per_stage_that_ran_and_the_totals():
    records = {stage: a_record(stage, "now", 0.5) for stage in STAGES}
    records[STAGES[0]] = a_record(STAGES[0], "before", 0.25)
    metrics = cost.summarise(STAGES, records, "now", {}, NOW).metrics()
    ran = STAGES[1:]
    assert {f"cost.{stage}.cpu_seconds" for stage in ran} <= set(metrics)
    assert f"cost.{STAGES[0]}.cpu_seconds" not in metrics
    assert metrics["cost.pipeline.amount_usd"] == 0.5 * len(ran)
    assert metrics["cost.pipeline.saved_amount_usd"] == 0.25
    assert metrics["cost.pipeline.stages_skipped"] == 1
    # The characters MLflow takes in a metric name.
    assert all(re.fullmatch(r"[\w./ -]+", name) for name in metrics)


def test_the_latest_run_is_the_last_summarys_unless_a_stage_ran_since():
    records = {"train": a_record("train", "first", 0.5, minutes=1)}
    later = {"pipeline_run": "second", "written_at": (NOW + timedelta(minutes=2)).isoformat()}
    assert cost.latest_run(records, later) == "second"
    records["evaluate"] = a_record("evaluate", None, 0.5, minutes=3)
    assert cost.latest_run(records, later) is None
    assert cost.latest_run({}, None) is None


@pytest.mark.parametrize(
    ("variable", "value", "what"),
    [
        ("JOB_STARTED_AT", "2025-03-01T11:55:30Z", "the job"),
        ("CI_JOB_STARTED_AT", "2025-03-01T12:55:30+01:00", "the job"),
        ("SYSTEM_PIPELINESTARTTIME", "2025-03-01 06:55:30-05:00", "the pipeline"),
    ],
    ids=["github", "gitlab", "azure"],
)
def test_the_ci_jobs_time_comes_from_the_providers_start_time(variable, value, what):
    summary = cost.summarise(STAGES, {}, None, {variable: value}, NOW)
    assert summary.ci_job.wall_seconds == 270
    assert f"taken 4 min 30 s so far (since {what} started, `{variable}`)" in summary.to_markdown()


def test_outside_ci_the_summary_says_nothing_of_a_job():
    summary = cost.summarise(STAGES, {}, None, {}, NOW)
    assert summary.ci_job is None
    assert "CI job" not in summary.to_markdown()


def test_a_start_time_that_is_no_time_is_named():
    with pytest.raises(ProjectError, match=r"CI_JOB_STARTED_AT='yesterday': not an ISO 8601"):
        cost.ci_job({"CI_JOB_STARTED_AT": "yesterday"}, NOW)


def test_a_summary_where_nothing_ran_imports_neither_pandas_nor_mlflow(workspace):
    params = load_params()
    with cost.Meter() as meter:
        pass
    for stage in STAGES:
        cost.record_stage(stage, meter, params, {cost.PIPELINE_RUN_VARIABLE: "first"})
    # What `make repro` runs after a `dvc repro` that had nothing to do.
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", cost.__name__, "--after-repro"],
        env={**os.environ, cost.PIPELINE_RUN_VARIABLE: "second"},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines()}
    assert not {"pandas", "numpy", "mlflow", config.__name__} & imported
    assert result.stdout.startswith(f"cost: no stage ran; DVC skipped {len(STAGES)} ")
    written = json.loads(params.paths.cost_result.read_text())
    assert (written["pipeline_run"], written["saved"]["stages"]) == ("second", len(STAGES))
    assert params.paths.cost_summary.read_text().startswith("### Compute cost")


def test_the_params_file_is_configs():
    assert cost.PARAMS_FILE == config.PARAMS_FILE
