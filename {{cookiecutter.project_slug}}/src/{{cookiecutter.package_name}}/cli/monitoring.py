"""Monitoring: whether a batch drifted from the training data, and batches to try it on;
labels given after the fact, the served versions' live quality measured with them, and the A/B
decision between the champion and the challenger; a canary release measured against the stable
version."""

import argparse
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

from {{ cookiecutter.package_name }}.cli.commands import Commands, argument
from {{ cookiecutter.package_name }}.cli.serving import default_prediction_log
from {{ cookiecutter.package_name }}.core.config import load_params
from {{ cookiecutter.package_name }}.core.errors import ProjectError

# Distinct from 1 (an error) and 2 (a usage error), so CI can tell "retrain" from "broken";
# and from each other, so it can tell why.
DRIFT_EXIT_STATUS = 3
QUALITY_EXIT_STATUS = 4
CANARY_ROLLBACK_EXIT_STATUS = 5
CANARY_WAIT_EXIT_STATUS = 6

commands = Commands()


@commands.command(
    "drift",
    "compare a batch with the training data; write reports/drift.*",
    argument(
        "batch",
        type=Path,
        nargs="?",
        help="CSV file, or the service's prediction log (JSON lines, each with `inputs`: an "
        "array of rows); default: the raw data",
    ),
    epilog=f"exit status: 0 no drift, {DRIFT_EXIT_STATUS} drift (retraining is due), 1 error",
)
def drift(args: argparse.Namespace) -> int:
    from {{ cookiecutter.package_name }}.monitoring.drift.check import check_batch

    params = load_params()
    result = check_batch(params, args.batch or params.paths.raw_data)
    print(result.summary())
    print(f"result: {params.paths.drift_result}  report: {params.paths.drift_report}")
    return DRIFT_EXIT_STATUS if result.drift else 0


@commands.command(
    "make-batch",
    "write a batch of data with shifted features (for demos)",
    argument("--output", type=Path, required=True, help="CSV file to write"),
    argument("--input", type=Path, help="rows to start from (default: the raw data)"),
    argument("--shift", type=float, default=0.0, help="distance to move, in standard deviations"),
    argument(
        "--features", nargs="+", metavar="NAME", help="features to shift (default: all numeric)"
    ),
)
def make_batch(args: argparse.Namespace) -> None:
    from {{ cookiecutter.package_name }}.core.data import write_table
    from {{ cookiecutter.package_name }}.core.description import Numeric
    from {{ cookiecutter.package_name }}.monitoring.drift.batch import read_batch, shift_features
    from {{ cookiecutter.package_name }}.project.schema import DATA

    source = args.input or load_params().paths.raw_data
    features = args.features or [f.name for f in DATA.features if isinstance(f, Numeric)]
    if args.shift and not features:
        raise ProjectError("schema.py declares no numeric feature: there is nothing to shift")
    batch = shift_features(read_batch(source), features, args.shift)
    write_table(batch, args.output)
    change = f"{', '.join(features)} shifted by {args.shift} standard deviations"
    print(
        f"wrote {len(batch)} rows of {source} to {args.output}: {change if args.shift else 'as is'}"
    )


class Finding(Protocol):
    """A monitoring command's outcome: a result for CI, a report for people, a summary."""

    def to_json(self) -> str: ...
    def to_markdown(self) -> str: ...
    def summary(self) -> str: ...


def publish(finding: Finding, result: Path, report: Path) -> None:
    """Write the result, then the report (the verdict first: it is what CI reads), and print the
    summary and where both went."""
    for path, text in ((result, finding.to_json()), (report, finding.to_markdown())):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    print(finding.summary())
    print(f"result: {result}  report: {report}")


LOG_ARGUMENT = argument(
    "--log", type=Path, default=default_prediction_log(), help="the prediction log"
)


@commands.command(
    "feedback",
    "record labels given after the fact, and say how they join the prediction log",
    argument(
        "--labels",
        type=Path,
        required=True,
        help="CSV file with the columns key (the X-Request-Key sent or the X-Request-Id "
        "answered) and label, and optionally row (in a request of several rows; default 0) "
        "and time (when the label became known, ISO 8601; default now)",
    ),
    LOG_ARGUMENT,
)
def feedback(args: argparse.Namespace) -> None:
    from {{ cookiecutter.package_name }}.core.tasks import project_task
    from {{ cookiecutter.package_name }}.monitoring.labels import (
        LabelStore,
        outcomes_sentence,
        read_labels_file,
        record_labels,
    )
    from {{ cookiecutter.package_name }}.serving.report import read_log

    params = load_params()
    task = project_task(params.task.kind)
    given = read_labels_file(args.labels, task, datetime.now(UTC))
    records, _ = read_log(args.log, task)
    store = LabelStore(params.paths.labels)
    delay = timedelta(hours=params.live_quality.max_label_delay_hours)
    counts = record_labels(given, store, records, delay)
    print(f"recorded {len(given)} labels in {store.path}: {outcomes_sentence(counts)}")


@commands.command(
    "live-quality",
    "measure each served version on its labelled predictions; write reports/live_quality.*",
    LOG_ARGUMENT,
    argument(
        "--no-mlflow", action="store_true", help="do not log the measures to the versions' runs"
    ),
    epilog=f"exit status: 0 the champion is acceptable or has too few labels to judge, "
    f"{QUALITY_EXIT_STATUS} it is below the gate's bar (retraining is due), 1 error",
)
def live_quality(args: argparse.Namespace) -> int:
    from {{ cookiecutter.package_name }}.core.tasks import project_task
    from {{ cookiecutter.package_name }}.monitoring.quality import log_to_mlflow, measure

    params = load_params()
    now = datetime.now(UTC)
    quality = measure(params, project_task(params.task.kind), args.log, now)
    publish(quality, params.paths.live_quality_result, params.paths.live_quality_report)
    if not args.no_mlflow:
        for note in log_to_mlflow(quality, params.mlflow.model_name, now):
            print(note)
    return QUALITY_EXIT_STATUS if quality.retrain else 0


@commands.command(
    "ab-report",
    "decide by statistics whether the challenger beats the champion on labelled predictions; "
    "write reports/ab.*",
    LOG_ARGUMENT,
    epilog="exit status: 0 whatever the decision (promote, keep, need more data: it is advice, "
    "for people or a later step to act on), 1 error (no challenger in the log, say)",
)
def ab_report(args: argparse.Namespace) -> None:
    from {{ cookiecutter.package_name }}.core.tasks import project_task
    from {{ cookiecutter.package_name }}.monitoring.ab import decide

    params = load_params()
    result = decide(params, project_task(params.task.kind), args.log, datetime.now(UTC))
    publish(result, params.paths.ab_result, params.paths.ab_report)


@commands.command(
    "canary-analysis",
    "compare the canary with the stable version over a window of live traffic against the "
    "SLO in params.yaml (canary); write reports/canary.*",
    argument(
        "--url",
        help="the service serving both versions (SERVING_ROLLOUT=canary): its /metrics is read "
        "at the start and at the end of the window",
    ),
    argument(
        "--prometheus",
        metavar="URL",
        help="read the window that just ended from Prometheus instead (each track a service "
        "of its own, as on Kubernetes)",
    ),
    argument("--canary-version", help="the canary's model version (default: the challenger)"),
    argument("--stable-version", help="the stable model version (default: the champion)"),
    argument(
        "--window-seconds", type=float, help="the window's length (default: canary.window_seconds)"
    ),
    argument(
        "--ab-report", type=Path, help="the A/B decision on labels (default: paths.ab_result)"
    ),
    epilog=f"exit status: 0 promote, {CANARY_ROLLBACK_EXIT_STATUS} roll back, "
    f"{CANARY_WAIT_EXIT_STATUS} wait (too few requests on the canary), 1 error",
)
def canary_analysis(args: argparse.Namespace) -> int:
    from {{ cookiecutter.package_name }}.monitoring.canary import (
        PROMOTE,
        ROLL_BACK,
        analyse,
        prometheus_window,
        service_window,
    )

    if (args.url is None) == (args.prometheus is None):
        raise ProjectError("canary-analysis: give the service's --url or --prometheus URL (one)")
    params = load_params()
    seconds = args.window_seconds or params.canary.window_seconds
    if args.prometheus:
        window = prometheus_window(args.prometheus, seconds)
    else:
        print(f"reading {args.url}/metrics now and again in {seconds:g} s")
        window = service_window(args.url, seconds)
    ab_report = args.ab_report or params.paths.ab_result
    analysis = analyse(window, params.canary, ab_report, args.canary_version, args.stable_version)
    publish(analysis, params.paths.canary_result, params.paths.canary_report)
    statuses = {PROMOTE: 0, ROLL_BACK: CANARY_ROLLBACK_EXIT_STATUS}
    return statuses.get(analysis.decision, CANARY_WAIT_EXIT_STATUS)
