"""What each pipeline stage costs to run, and what the DVC run cache saves.

cli/pipeline.py measures every stage it runs (Meter): wall time, CPU seconds and peak memory here,
plus what the Dask workers spent when the stage sent work to a cluster (compute.py). It prices them
with params.yaml's `cost` section and keeps the result as the stage's record, one JSON file per
stage under paths.cost_records: the stage's last measured cost.

`make repro` names each pipeline run (PIPELINE_RUN_ID, which every stage it runs sees). After
`dvc repro`, the summary tells the stages that ran in that run (their record is of it) from the
stages DVC skipped, unchanged or restored from its run cache: what a skipped stage last cost is
what skipping it saved. A `dvc repro` outside make leaves records of no named run; a summary of
it counts the stages such a repro ran last.

The summary runs after every repro, even one with nothing to do, so this module imports nothing
heavy: it reads params.yaml and dvc.yaml as plain YAML (the stages validated the params when they
priced their records), and imports MLflow only when the run trained or evaluated a model, to log
the costs to its training run.
"""

import argparse
import json
import math
import os
import re
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from {{ cookiecutter.package_name }}.core.errors import ConfigError, ProjectError

if TYPE_CHECKING:
    from {{ cookiecutter.package_name }}.core.config import CostParams, MachineClass, Params

# config.py's name for it; config.py itself is not imported here (it brings pandas).
PARAMS_FILE = Path("params.yaml")
PIPELINE_FILE = Path("dvc.yaml")
# Set by `make repro` for the stages of one pipeline run.
PIPELINE_RUN_VARIABLE = "PIPELINE_RUN_ID"
# When the CI job started, by provider. GitHub has no such variable: the workflow sets
# JOB_STARTED_AT in the job's first step. Azure's is when the whole pipeline started.
CI_START_VARIABLES = {
    "JOB_STARTED_AT": "the job",
    "CI_JOB_STARTED_AT": "the job",
    "SYSTEM_PIPELINESTARTTIME": "the pipeline",
}
# The stages whose costs go to the training run: those that write or read it.
TRAINING_RUN_REFERENCE = "${paths.training_run}"
SECONDS_PER_HOUR = 3600
MB, GB = 2**20, 2**30
RAN, SKIPPED, NEVER_MEASURED = "ran", "skipped", "never measured"


@dataclass(frozen=True)
class Usage:
    """What a piece of work spent."""

    wall_seconds: float
    cpu_seconds: float
    peak_memory_bytes: int

    @property
    def core_hours(self) -> float:
        return self.cpu_seconds / SECONDS_PER_HOUR

    @property
    def gb_hours(self) -> float:
        # The peak is held, and priced, for the whole wall time.
        return self.peak_memory_bytes / GB * self.wall_seconds / SECONDS_PER_HOUR


def price(usage: Usage, machine: "MachineClass") -> float:
    return usage.core_hours * machine.core_hour + usage.gb_hours * machine.gb_hour


def stage_amount(usage: Usage, cluster: Usage | None, cost: "CostParams") -> float:
    """A stage's price: its own usage at this machine's prices, the cluster's at the workers'."""
    own = price(usage, cost.prices)
    return own if cluster is None else own + price(cluster, cost.cluster_prices)


class Meter:
    """Measures the `with` block. Once it has ended: `usage`, what this process and its children
    spent, and `cluster`, what Dask workers spent on it (None when it used no cluster)."""

    usage: Usage
    cluster: Usage | None
    cluster_workers: int

    def __enter__(self) -> "Meter":
        from {{ cookiecutter.package_name }}.infra import compute

        self._sessions = len(compute.CLUSTER_SESSIONS)
        self._cpu_seconds, _ = compute.process_usage()
        self._started = time.perf_counter()
        return self

    def __exit__(self, *exc_info: object) -> None:
        from {{ cookiecutter.package_name }}.infra import compute

        _end_joblib_workers()
        cpu_seconds, peak_memory_bytes = compute.process_usage()
        wall_seconds = time.perf_counter() - self._started
        self.usage = Usage(wall_seconds, cpu_seconds - self._cpu_seconds, peak_memory_bytes)
        sessions = compute.CLUSTER_SESSIONS[self._sessions :]
        # Sessions follow one another: their times add up, and memory counts at the largest peak.
        self.cluster = (
            Usage(
                wall_seconds=sum(session.wall_seconds for session in sessions),
                cpu_seconds=sum(session.cpu_seconds for session in sessions),
                peak_memory_bytes=max(session.peak_memory_bytes for session in sessions),
            )
            if sessions
            else None
        )
        self.cluster_workers = max((session.workers for session in sessions), default=0)


def _end_joblib_workers() -> None:
    """joblib keeps the worker processes of a parallel search for its next call, and the system
    counts a child's usage only once the child has ended: end them, so their work counts."""
    # loky's one reusable executor, if this process started it; nothing is started here.
    loky = sys.modules.get("joblib.externals.loky.reusable_executor")
    executor = getattr(loky, "_executor", None)
    if executor is not None:
        executor.shutdown(wait=True)


@dataclass(frozen=True)
class StageCost:
    """A stage's measured run, priced: what its record file holds."""

    stage: str
    # The `make repro` run it belongs to; None when `dvc repro` ran outside make.
    pipeline_run: str | None
    finished_at: str
    usage: Usage
    cluster: Usage | None
    cluster_workers: int
    # The classes whose prices it was priced at (params.yaml's cost section).
    machine: str
    cluster_machine: str | None
    currency: str
    amount: float

    @property
    def cpu_seconds(self) -> float:
        """Here and on the cluster."""
        return self.usage.cpu_seconds + (self.cluster.cpu_seconds if self.cluster else 0.0)


def record_stage(
    stage: str, meter: Meter, params: "Params", environ: Mapping[str, str] = os.environ
) -> StageCost:
    """Price the stage's measured run and keep it as the stage's record."""
    cost = params.cost
    record = StageCost(
        stage=stage,
        pipeline_run=environ.get(PIPELINE_RUN_VARIABLE) or None,
        finished_at=datetime.now(UTC).isoformat(),
        usage=meter.usage,
        cluster=meter.cluster,
        cluster_workers=meter.cluster_workers,
        machine=cost.machine,
        cluster_machine=(cost.cluster_machine or cost.machine) if meter.cluster else None,
        currency=cost.currency,
        amount=stage_amount(meter.usage, meter.cluster, cost),
    )
    directory = params.paths.cost_records
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{stage}.json").write_text(json.dumps(asdict(record), indent=2) + "\n")
    return record


def read_records(directory: Path) -> dict[str, StageCost]:
    """Each stage's last record, by stage."""
    records = {}
    for path in sorted(directory.glob("*.json")):
        try:
            fields = json.loads(path.read_text())
            cluster = fields["cluster"]
            record = StageCost(
                **{
                    **fields,
                    "usage": Usage(**fields["usage"]),
                    "cluster": cluster and Usage(**cluster),
                }
            )
        except (ValueError, TypeError, KeyError) as error:
            raise ProjectError(
                f"{path}: not a cost record ({error}); delete it, the stage's next run writes it "
                "again"
            ) from None
        records[record.stage] = record
    return records


@dataclass(frozen=True)
class Totals:
    stages: int
    wall_seconds: float
    # Here and on clusters.
    cpu_seconds: float
    # By currency: a stage is priced in the currency of its run.
    amounts: dict[str, float]

    @classmethod
    def of(cls, records: Iterable[StageCost]) -> "Totals":
        records = list(records)
        amounts: dict[str, float] = {}
        for record in records:
            amounts[record.currency] = amounts.get(record.currency, 0.0) + record.amount
        return cls(
            stages=len(records),
            wall_seconds=sum(record.usage.wall_seconds for record in records),
            cpu_seconds=sum(record.cpu_seconds for record in records),
            amounts=amounts,
        )


@dataclass(frozen=True)
class StageLine:
    stage: str
    # RAN in the summarised pipeline run, SKIPPED (its record is of an earlier run), or
    # NEVER_MEASURED.
    status: str
    record: StageCost | None


@dataclass(frozen=True)
class CiJob:
    variable: str
    # What started then: the job, or the whole pipeline.
    what: str
    started_at: str
    wall_seconds: float


@dataclass(frozen=True)
class Summary:
    """One pipeline run's stages: what those that ran cost, and what those skipped saved."""

    # None: the stages a `dvc repro` outside make ran last.
    pipeline_run: str | None
    written_at: str
    stages: tuple[StageLine, ...]
    ci_job: CiJob | None

    def records(self, status: str) -> list[StageCost]:
        return [line.record for line in self.stages if line.status == status and line.record]

    def headline(self) -> str:
        ran, saved = Totals.of(self.records(RAN)), Totals.of(self.records(SKIPPED))
        spent = (
            f"{_count(ran.stages)} ran: {_money(ran.amounts)}, {_duration(ran.wall_seconds)} "
            f"({_duration(ran.cpu_seconds)} of CPU)"
            if ran.stages
            else "no stage ran"
        )
        skipped = (
            f"DVC skipped {saved.stages} (unchanged, or restored from its run cache), saving "
            f"{_money(saved.amounts)} and {_duration(saved.wall_seconds)}"
            if saved.stages
            else "DVC skipped none"
        )
        never = [line.stage for line in self.stages if line.status == NEVER_MEASURED]
        unmeasured = f"; never measured: {', '.join(never)}" if never else ""
        return f"{spent}; {skipped}{unmeasured}"

    def to_markdown(self) -> str:
        run = (
            f"Pipeline run `{self.pipeline_run}`"
            if self.pipeline_run
            else "The stages a `dvc repro` outside `make repro` ran last"
        )
        lines = ["### Compute cost", "", f"{run}: {self.headline()}."]
        if self.ci_job:
            lines.append(
                f"The CI job has taken {_duration(self.ci_job.wall_seconds)} so far (since "
                f"{self.ci_job.what} started, `{self.ci_job.variable}`)."
            )
        on_cluster = any(line.record and line.record.cluster for line in self.stages)
        columns = ["stage", "this run", "wall time", "CPU time", "peak memory"]
        columns += ["Dask cluster"] * on_cluster + ["cost"]
        lines += ["", f"| {' | '.join(columns)} |", f"|{'---|' * len(columns)}"]
        for line in self.stages:
            cells = [line.stage, line.status, *_record_cells(line.record, on_cluster)]
            lines.append(f"| {' | '.join(cells)} |")
        lines += [
            "",
            "A skipped stage shows its last run: what skipping it saved. A stage is priced when it "
            "runs, at the prices of the machine class that params.yaml's `cost` section names "
            "then: CPU time per core-hour, and the peak memory, held for the wall time, per "
            "GB-hour.",
        ]
        return "\n".join(lines) + "\n"

    def to_json(self) -> dict[str, Any]:
        return {
            "pipeline_run": self.pipeline_run,
            "written_at": self.written_at,
            "ran": asdict(Totals.of(self.records(RAN))),
            "saved": asdict(Totals.of(self.records(SKIPPED))),
            "stages": [asdict(line) for line in self.stages],
            "ci_job": asdict(self.ci_job) if self.ci_job else None,
        }

    def metrics(self) -> dict[str, float]:
        """For the training run: each stage that ran, and the pipeline run's totals."""
        metrics: dict[str, float] = {}
        for record in self.records(RAN):
            stage = _metric_name(f"cost.{record.stage}")
            metrics |= {
                f"{stage}.wall_seconds": record.usage.wall_seconds,
                f"{stage}.cpu_seconds": record.usage.cpu_seconds,
                f"{stage}.peak_memory_mb": record.usage.peak_memory_bytes / MB,
                f"{stage}.amount_{record.currency.lower()}": record.amount,
            }
            if record.cluster:
                metrics |= {
                    f"{stage}.cluster_cpu_seconds": record.cluster.cpu_seconds,
                    f"{stage}.cluster_peak_memory_mb": record.cluster.peak_memory_bytes / MB,
                }
        ran, saved = Totals.of(self.records(RAN)), Totals.of(self.records(SKIPPED))
        metrics |= {
            "cost.pipeline.stages_ran": ran.stages,
            "cost.pipeline.wall_seconds": ran.wall_seconds,
            "cost.pipeline.cpu_seconds": ran.cpu_seconds,
            "cost.pipeline.stages_skipped": saved.stages,
            "cost.pipeline.saved_wall_seconds": saved.wall_seconds,
        }
        metrics |= {f"cost.pipeline.amount_{c.lower()}": v for c, v in ran.amounts.items()}
        metrics |= {f"cost.pipeline.saved_amount_{c.lower()}": v for c, v in saved.amounts.items()}
        return metrics


def summarise(
    stages: list[str],
    records: Mapping[str, StageCost],
    pipeline_run: str | None,
    environ: Mapping[str, str],
    now: datetime,
) -> Summary:
    def status(record: StageCost | None) -> str:
        if record is None:
            return NEVER_MEASURED
        return RAN if record.pipeline_run == pipeline_run else SKIPPED

    lines = tuple(
        StageLine(stage, status(records.get(stage)), records.get(stage)) for stage in stages
    )
    return Summary(pipeline_run, now.isoformat(), lines, ci_job(environ, now))


def latest_run(records: Mapping[str, StageCost], previous: Mapping[str, Any] | None) -> str | None:
    """The pipeline run that left the latest trace: the last summary's, unless a stage has run
    since (then that stage's run)."""
    latest = max(records.values(), key=lambda record: _time(record.finished_at), default=None)
    if previous is not None and (
        latest is None or _time(previous["written_at"]) >= _time(latest.finished_at)
    ):
        return previous["pipeline_run"]
    return latest.pipeline_run if latest else None


def ci_job(environ: Mapping[str, str], now: datetime) -> CiJob | None:
    """How long the CI job has taken, from the provider's start time; None outside CI."""
    for variable, what in CI_START_VARIABLES.items():
        value = environ.get(variable)
        if not value:
            continue
        try:
            started = _time(value)
        except ValueError:
            raise ProjectError(f"{variable}={value!r}: not an ISO 8601 time") from None
        return CiJob(variable, what, started.isoformat(), (now - started).total_seconds())
    return None


def log_to_training_run(summary: Summary, training_run: Path) -> str:
    """Log the run's costs to the training run that paths.training_run names; return its id."""
    from mlflow.entities import Metric, RunTag

    from {{ cookiecutter.package_name }}.infra import tracking

    run_id = json.loads(training_run.read_text())["run_id"]
    timestamp = int(time.time() * 1000)
    tracking.connect().log_batch(
        run_id,
        metrics=[Metric(key, value, timestamp, 0) for key, value in summary.metrics().items()],
        tags=[RunTag("cost.pipeline_run", summary.pipeline_run or "unnamed")],
    )
    return run_id


def write_summary(
    pipeline: Mapping[str, Any], paths: Mapping[str, Path], environ: Mapping[str, str]
) -> Summary:
    """Summarise `make repro`'s pipeline run, or else the latest one; write it as JSON and
    Markdown."""
    records = read_records(paths["cost_records"])
    result = paths["cost_result"]
    previous = json.loads(result.read_text()) if result.exists() else None
    run = environ.get(PIPELINE_RUN_VARIABLE) or latest_run(records, previous)
    summary = summarise(list(pipeline.get("stages", {})), records, run, environ, datetime.now(UTC))
    result.parent.mkdir(parents=True, exist_ok=True)
    result.write_text(json.dumps(summary.to_json(), indent=2) + "\n")
    paths["cost_summary"].parent.mkdir(parents=True, exist_ok=True)
    paths["cost_summary"].write_text(summary.to_markdown())
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m {{ cookiecutter.package_name }}.reporting.cost",
        description="Summarise the cost of the last pipeline run and what the DVC run cache "
        "saved; write paths.cost_result and paths.cost_summary.",
    )
    parser.add_argument(
        "--after-repro",
        action="store_true",
        help="end `make repro`'s pipeline run: print one line, and log the costs to the training "
        "run in MLflow when the run trained or evaluated a model",
    )
    args = parser.parse_args(argv)
    try:
        pipeline, paths = _read_yaml(PIPELINE_FILE), _paths()
        summary = write_summary(pipeline, paths, os.environ)
        if not args.after_repro:
            print(summary.to_markdown(), end="")
            return 0
        print(f"cost: {summary.headline()} ({paths['cost_summary']})")
        ran = {record.stage for record in summary.records(RAN)}
        if ran & _training_run_stages(pipeline):
            run_id = log_to_training_run(summary, paths["training_run"])
            print(f"cost: logged to the training run {run_id} in MLflow")
    except ProjectError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


def _paths() -> dict[str, Path]:
    paths = _read_yaml(PARAMS_FILE).get("paths") or {}
    needed = ["cost_records", "cost_result", "cost_summary", "training_run"]
    missing = [key for key in needed if key not in paths]
    if missing:
        raise ConfigError(f"{PARAMS_FILE}: paths.{', paths.'.join(missing)}: missing")
    return {key: Path(paths[key]) for key in needed}


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        return yaml.safe_load(path.read_text()) or {}
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found (run commands from the project root)") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: not valid YAML: {error}") from None


def _training_run_stages(pipeline: Mapping[str, Any]) -> set[str]:
    def files(stage: Mapping[str, Any]) -> list[str]:
        entries = [*stage.get("deps", []), *stage.get("outs", [])]
        return [next(iter(entry)) if isinstance(entry, dict) else entry for entry in entries]

    return {
        name
        for name, stage in pipeline.get("stages", {}).items()
        if TRAINING_RUN_REFERENCE in files(stage)
    }


def _record_cells(record: StageCost | None, on_cluster: bool) -> list[str]:
    if record is None:
        return ["-"] * (4 + on_cluster)
    usage, cluster = record.usage, record.cluster
    cells = [
        _duration(usage.wall_seconds),
        _duration(usage.cpu_seconds),
        _memory(usage.peak_memory_bytes),
    ]
    if on_cluster:
        cells.append(
            f"{_duration(cluster.cpu_seconds)} of CPU, {_memory(cluster.peak_memory_bytes)} on "
            f"{record.cluster_workers} workers ({record.cluster_machine})"
            if cluster
            else "-"
        )
    return [*cells, f"{_money({record.currency: record.amount})} ({record.machine})"]


def _time(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _metric_name(name: str) -> str:
    # MLflow takes letters, digits, underscores, dashes, periods, spaces and slashes.
    return re.sub(r"[^\w./ -]", "_", name)


def _count(stages: int) -> str:
    return f"{stages} stage{'s' * (stages != 1)}"


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    if seconds < SECONDS_PER_HOUR:
        return f"{int(seconds // 60)} min {seconds % 60:.0f} s"
    return f"{int(seconds // SECONDS_PER_HOUR)} h {int(seconds % SECONDS_PER_HOUR // 60):02d} min"


def _memory(size: int) -> str:
    return f"{size / GB:.1f} GB" if size >= GB else f"{size / MB:.0f} MB"


def _money(amounts: Mapping[str, float]) -> str:
    return " + ".join(f"{_amount(value)} {currency}" for currency, value in sorted(amounts.items()))


def _amount(value: float) -> str:
    # Two significant digits: a stage often costs a fraction of a cent.
    if value == 0:
        return "0"
    decimals = max(2, 1 - math.floor(math.log10(abs(value))))
    return f"{value:,.{decimals}f}"


if __name__ == "__main__":
    sys.exit(main())
