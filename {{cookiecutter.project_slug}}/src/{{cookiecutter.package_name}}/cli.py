"""One command per step. dvc.yaml, the Makefile and CI all call these."""

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from {{ cookiecutter.package_name }}.config import Params, load_params
from {{ cookiecutter.package_name }}.errors import ProjectError
from {{ cookiecutter.package_name }}.tasks import TASKS

if TYPE_CHECKING:
    from mlflow import MlflowClient

# Distinct from 1 (an error) and 2 (a usage error), so CI can tell "retrain" from "broken".
DRIFT_EXIT_STATUS = 3


def init_tracking(args: argparse.Namespace) -> None:
    from {{ cookiecutter.package_name }} import tracking

    print(f"MLflow store ready at {tracking.init_store()}")


def init_data(args: argparse.Namespace) -> None:
    from {{ cookiecutter.package_name }}.versioning import init_data_versioning

    print(init_data_versioning(load_params().paths.raw_data))


def adopt(args: argparse.Namespace) -> None:
    from {{ cookiecutter.package_name }}.adopt.adoption import adopt

    print(adopt(args.data, args.target, args.task).summary())


def registry_session() -> tuple[Params, "MlflowClient", str]:
    """Load the params and connect to the registry: what every registry command starts with."""
    from {{ cookiecutter.package_name }} import tracking

    params = load_params()
    return params, tracking.connect(), params.mlflow.model_name


def run_stage(name: str) -> Callable[[argparse.Namespace], None]:
    def run(args: argparse.Namespace) -> None:
        from importlib import import_module

        from {{ cookiecutter.package_name }} import cost

        params = load_params()
        # Measured here, around the stage and its imports, so that no stage imports the meter.
        with cost.Meter() as meter:
            result = import_module(f"{{ cookiecutter.package_name }}.pipeline.{name}").run(params)
        cost.record_stage(name, meter, params)
        print(json.dumps(result, indent=2))

    return run


def register(args: argparse.Namespace) -> None:
    from {{ cookiecutter.package_name }} import registry

    registration = registry.register(load_params())
    version = registration.version
    if registration.created:
        print(f"registered {version.name} version {version.version} as {registry.CHALLENGER}")
    else:
        print(
            f"{version.name} version {version.version} already holds this model file; nothing to do"
        )


def gate(args: argparse.Namespace) -> int:
    from {{ cookiecutter.package_name }} import registry
    from {{ cookiecutter.package_name }}.gate import run_gate

    params, client, name = registry_session()
    challenger = registry.resolve(client, name, args.version or registry.CHALLENGER)
    champion = registry.version_by_alias(client, name, registry.CHAMPION)
    decision = run_gate(client, params, challenger, champion)
    print(decision.to_markdown())
    return 1 if args.fail_on_reject and not decision.passed else 0


def promote(args: argparse.Namespace) -> int:
    from {{ cookiecutter.package_name }} import registry
    from {{ cookiecutter.package_name }}.gate import promote_if_better

    params, client, name = registry_session()
    if args.version:
        version = registry.resolve(client, name, args.version)
        replaced = registry.promote(client, name, version.version, reason=args.reason)
        was = f", replacing version {replaced.version}" if replaced else ""
        print(f"version {version.version} is now the champion{was} (by hand: {args.reason})")
        return 0
    decision, outcome = promote_if_better(client, params)
    if decision is not None:
        print(decision.to_markdown())
    print(outcome)
    return 1 if args.fail_on_reject and decision is not None and not decision.passed else 0


def rollback(args: argparse.Namespace) -> None:
    from {{ cookiecutter.package_name }} import registry

    _, client, name = registry_session()
    demoted, restored = registry.rollback(client, name)
    print(f"champion moved from version {demoted.version} back to version {restored.version}")


def lineage(args: argparse.Namespace) -> None:
    from {{ cookiecutter.package_name }} import registry

    _, client, name = registry_session()
    version = registry.resolve(client, name, args.reference)
    record = registry.lineage_record(client, version)
    if args.json:
        print(json.dumps(record, indent=2))
        return
    print(f"{record['model_uri']}  aliases: {', '.join(record['aliases']) or '-'}")
    print(f"  run        {record['run_id']}")
    tags = record["tags"]
    dirty = " (uncommitted changes)" if tags.get("git_dirty") == "true" else ""
    print(
        f"  commit     {tags.get('git_commit', 'unknown')} on {tags.get('git_branch', '?')}{dirty}"
    )
    print(f"  raw data   md5 {tags.get('raw_data_md5', 'unknown')}")
    print(f"  model      md5 {tags.get('model_md5', 'unknown')}")
    print(f"  params     digest {tags.get('params_digest', 'unknown')}")
    for key, value in record["params"].items():
        print(f"    {key} = {value}")
    print("  metrics")
    for key, value in record["metrics"].items():
        print(f"    {key} = {value:.4f}")


def card(args: argparse.Namespace) -> None:
    from {{ cookiecutter.package_name }} import registry
    from {{ cookiecutter.package_name }}.card.build import publish_card
    from {{ cookiecutter.package_name }}.card.files import ARTIFACT_DIR

    params, client, name = registry_session()
    version = registry.resolve(client, name, args.reference)
    written = publish_card(client, params, version)
    for warning in written.warnings:
        print(f"warning: {warning}")
    run = written.lineage["run_id"]
    attached = f"run {run} ({ARTIFACT_DIR}/) and " if run else ""
    print(
        f"model card of {name} version {version.version}: {params.paths.model_card} and "
        f"{params.paths.model_card_html}; attached to {attached}the version's description"
    )


def predict(args: argparse.Namespace) -> None:
    import pandas as pd

    from {{ cookiecutter.package_name }} import registry
    from {{ cookiecutter.package_name }}.pipeline.validate import read_csv_for_validation
    from {{ cookiecutter.package_name }}.predict import check_inputs, predict_frame
    from {{ cookiecutter.package_name }}.schema import DATA
    from {{ cookiecutter.package_name }}.tasks import project_task

    params, client, name = registry_session()
    task = project_task(params.task.kind)
    version = registry.resolve(client, name, args.model)
    model = registry.load_estimator(version)
    source = args.input or params.paths.raw_data
    inputs = check_inputs(read_csv_for_validation(source), str(source))
    predictions = predict_frame(model, task, inputs, params.evaluate.decision_threshold)
    predictions.insert(0, "model_version", version.version)
    output = args.output or sys.stdout
    features = inputs[DATA.feature_names]
    pd.concat([predictions, features], axis=1).to_csv(output, index=False)


def score(args: argparse.Namespace) -> None:
    from {{ cookiecutter.package_name }} import compute, registry
    from {{ cookiecutter.package_name }}.scoring import ScoringJob, score_dataset
    from {{ cookiecutter.package_name }}.tasks import project_task

    params, client, name = registry_session()
    version = registry.resolve(client, name, args.model)
    model = registry.load_estimator(version)
    task = project_task(params.task.kind)
    threshold = params.evaluate.decision_threshold
    job = ScoringJob(args.input, args.output, version.version, task, threshold)
    with compute.compute_on(compute.scheduler_address(params.compute)) as where:
        rows = score_dataset(model, job)
    print(
        f"scored {rows} rows of {args.input} with {name} version {version.version} "
        f"on {where}: {args.output}"
    )


def report(args: argparse.Namespace) -> None:
    import os

    from {{ cookiecutter.package_name }}.ci_report import (
        build_report,
        not_posted_reason,
        post_report,
    )

    params = load_params()
    summaries = [params.paths.gate_summary, params.paths.model_card, params.paths.cost_summary]
    markdown = build_report(args.base, summaries)
    params.paths.ci_report.parent.mkdir(parents=True, exist_ok=True)
    params.paths.ci_report.write_text(markdown)
    print(markdown)
    posted = post_report(markdown, os.environ)
    print(f"report posted to {posted}" if posted else not_posted_reason(os.environ))


def drift(args: argparse.Namespace) -> int:
    from {{ cookiecutter.package_name }}.drift.check import check_batch

    params = load_params()
    result = check_batch(params, args.batch or params.paths.raw_data)
    print(result.summary())
    print(f"result: {params.paths.drift_result}  report: {params.paths.drift_report}")
    return DRIFT_EXIT_STATUS if result.drift else 0


def make_batch(args: argparse.Namespace) -> None:
    from {{ cookiecutter.package_name }}.data import write_table
    from {{ cookiecutter.package_name }}.description import Numeric
    from {{ cookiecutter.package_name }}.drift.batch import read_batch, shift_features
    from {{ cookiecutter.package_name }}.schema import DATA

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


def serve(args: argparse.Namespace) -> None:
    from {{ cookiecutter.package_name }}.serving.server import serve

    serve(args.host, args.port, args.workers)


def export(args: argparse.Namespace) -> None:
    from {{ cookiecutter.package_name }}.card.files import ARTIFACT_DIR
    from {{ cookiecutter.package_name }}.serving.export import export_reference

    version = export_reference(args.model, args.output)
    card = (
        "with its model card"
        if (args.output / ARTIFACT_DIR).is_dir()
        else f"without a model card (`make card MODEL={version.version}` attaches one)"
    )
    print(f"exported {version.name} version {version.version} to {args.output}, {card}")


def build_args(args: argparse.Namespace) -> None:
    from {{ cookiecutter.package_name }}.serving.export import LINEAGE_FILE

    lineage_file = args.export / LINEAGE_FILE
    if not lineage_file.exists():
        raise ProjectError(f"{lineage_file}: not found; run `make export` first")
    record = json.loads(lineage_file.read_text())
    labels = {
        "MODEL_NAME": record["model_name"],
        "MODEL_VERSION": record["version"],
        "MODEL_RUN_ID": record["run_id"] or "unknown",
        "GIT_COMMIT": record["tags"].get("git_commit", "unknown"),
    }
    print(" ".join(f"--build-arg {key}={value}" for key, value in labels.items()))


def rollout_report(args: argparse.Namespace) -> None:
    from {{ cookiecutter.package_name }}.serving.report import build_report
    from {{ cookiecutter.package_name }}.tasks import project_task

    report = build_report(args.log, project_task(load_params().task.kind))
    print(report.to_json() if args.json else report.to_markdown(), end="")


def smoke(args: argparse.Namespace) -> None:
    from {{ cookiecutter.package_name }}.smoke import smoke_test

    sample = load_params().paths.raw_data
    version = smoke_test(args.url, sample, args.timeout)
    print(f"{args.url} is ready and model version {version} answered a prediction")


def ui(args: argparse.Namespace) -> None:
    from {{ cookiecutter.package_name }} import tracking
    from {{ cookiecutter.package_name }}.config import tracking_uri

    uri = tracking_uri()
    if uri.startswith(("http://", "https://")):
        print(f"runs and models are on the tracking server: open {tracking.redacted(uri)}")
        return
    # One clear line when the store does not exist yet, rather than an empty UI.
    tracking.connect()
    address = f"http://{args.host}:{args.port}"
    print(f"MLflow UI of {tracking.redacted(uri)} at {address} (Ctrl-C stops it)", flush=True)
    ui_command = ["mlflow", "ui", "--backend-store-uri", uri, "--host", args.host]
    # MLflow's own server in this process's place, so that Ctrl-C reaches it.
    os.execv(sys.executable, [sys.executable, "-m", *ui_command, "--port", str(args.port)])  # nosec B606


def default_port() -> int:
    return int(os.environ.get("PORT") or 8000)


def process_count(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of processes (1 or more)")
    return int(text)


def default_prediction_log() -> Path:
    from {{ cookiecutter.package_name }}.serving.settings import DEFAULT_PREDICTION_LOG

    return Path(os.environ.get("SERVING_PREDICTION_LOG") or DEFAULT_PREDICTION_LOG)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="{{ cookiecutter.package_name }}", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, handler: Callable, help: str) -> argparse.ArgumentParser:
        command = commands.add_parser(name, help=help, description=help)
        command.set_defaults(handler=handler)
        return command

    add("init-tracking", init_tracking, "create the MLflow store's schema (once, before any run)")
    add("init-data", init_data, "set DVC up and track the raw data (once, after generation)")

    command = add("adopt", adopt, "make a CSV table the project's data: describe it, set the task")
    command.add_argument("--data", type=Path, required=True, help="the CSV file")
    command.add_argument("--target", required=True, help="the column to predict")
    command.add_argument(
        "--task", choices=list(TASKS), help="binary, multiclass or regression (default: judged)"
    )
    for stage, help in [
        ("validate", "check the raw data against the schema"),
        ("prepare", "split the raw data into train and test sets"),
        ("profile", "describe the training split: the reference for drift checks"),
        ("tune", "search the train settings, when params.yaml turns the search on"),
        ("train", "fit the model and log it to MLflow"),
        ("evaluate", "score the model on the test set; write metrics and plots"),
    ]:
        add(stage, run_stage(stage), f"pipeline stage: {help}")
    add("register", register, "register the model from the last `dvc repro` as challenger")

    command = add("gate", gate, "compare challenger with champion; write reports/gate.{json,md}")
    command.add_argument("--version", help="version to judge (default: the challenger)")
    command.add_argument("--fail-on-reject", action="store_true", help="exit 1 if the gate fails")

    command = add("promote", promote, "make the challenger champion if it passes the gate")
    command.add_argument("--version", help="promote this version by hand, without the gate")
    command.add_argument("--reason", default="approved by hand", help="why (with --version)")
    command.add_argument("--fail-on-reject", action="store_true", help="exit 1 if not promoted")

    add("rollback", rollback, "move champion back to the version it replaced")

    command = add("lineage", lineage, "trace a model version back to its run, commit and data")
    command.add_argument("reference", nargs="?", default="champion", help="alias, version or URI")
    command.add_argument("--json", action="store_true", help="print the record as JSON")

    command = add("card", card, "write a version's model card; attach it to its run and version")
    command.add_argument("reference", nargs="?", default="champion", help="alias, version or URI")

    command = add("predict", predict, "score a CSV file with a registered model")
    command.add_argument(
        "--input", type=Path, help="CSV file with feature columns (default: paths.raw_data)"
    )
    command.add_argument("--output", type=Path, help="CSV file to write (default: stdout)")
    command.add_argument("--model", default="champion", help="alias, version or URI")

    command = add(
        "score", score, "score a dataset of any size in partitions, here or on a Dask cluster"
    )
    command.add_argument(
        "--input", type=Path, required=True, help="CSV or Parquet file, directory or glob"
    )
    command.add_argument(
        "--output", type=Path, required=True, help="a .csv file, or else a Parquet directory"
    )
    command.add_argument("--model", default="champion", help="alias, version or URI")

    command = add("report", report, "write the pull-request report and post it from CI")
    command.add_argument("--base", default="main", help="branch to compare with")

    command = add("drift", drift, "compare a batch with the training data; write reports/drift.*")
    command.epilog = (
        f"exit status: 0 no drift, {DRIFT_EXIT_STATUS} drift (retraining is due), 1 error"
    )
    command.add_argument(
        "batch",
        type=Path,
        nargs="?",
        help="CSV file, or the service's prediction log (JSON lines, each with `inputs`: an "
        "array of rows); default: the raw data",
    )

    command = add(
        "make-batch", make_batch, "write a batch of data with shifted features (for demos)"
    )
    command.add_argument("--output", type=Path, required=True, help="CSV file to write")
    command.add_argument("--input", type=Path, help="rows to start from (default: the raw data)")
    command.add_argument(
        "--shift", type=float, default=0.0, help="distance to move, in standard deviations"
    )
    command.add_argument(
        "--features", nargs="+", metavar="NAME", help="features to shift (default: all numeric)"
    )

    command = add("serve", serve, "serve the champion over HTTP (settings: SERVING_* variables)")
    command.add_argument("--host", default="127.0.0.1", help="address to listen on")
    command.add_argument(
        "--port", type=int, default=default_port(), help="port (default: $PORT or 8000)"
    )
    command.add_argument(
        "--workers",
        type=process_count,
        help="server processes, each with the models loaded (default: $SERVING_WORKERS or 1)",
    )

    command = add("ui", ui, "browse the runs and the model registry in the MLflow UI")
    command.add_argument("--host", default="127.0.0.1", help="address to listen on")
    command.add_argument("--port", type=int, default=5000, help="port (default: 5000)")

    command = add("smoke", smoke, "check a released service: /ready, then one prediction")
    command.add_argument("--url", required=True, help="the service's base URL")
    command.add_argument("--timeout", type=float, default=120, help="seconds to wait for /ready")

    command = add("export", export, "export a registered model to a directory for an image")
    command.add_argument("--model", default="champion", help="alias, version or URI")
    command.add_argument("--output", type=Path, required=True, help="directory to write")

    command = add("build-args", build_args, "print docker build arguments labelling an export")
    command.add_argument("export", type=Path, help="directory written by `export`")

    command = add("rollout-report", rollout_report, "compare model versions in a prediction log")
    command.add_argument(
        "--log", type=Path, default=default_prediction_log(), help="the prediction log"
    )
    command.add_argument("--json", action="store_true", help="print the report as JSON")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args) or 0
    except ProjectError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except Exception as error:
        refusal = server_refusal(error)
        if refusal is None:
            raise
        print(f"error: {refusal}", file=sys.stderr)
        return 1


def server_refusal(error: Exception) -> str | None:
    """A tracking server's refusal of this account's request, as one line; None for any other
    error. Only the commands that talk to a server import MLflow, so only then can the error be
    MLflow's: looked up among the loaded modules, MLflow stays out of every other command."""
    exceptions = sys.modules.get("mlflow.exceptions")
    if exceptions is None or not isinstance(error, exceptions.MlflowException):
        return None
    if error.error_code != "PERMISSION_DENIED":
        return None
    user = os.environ.get("MLFLOW_TRACKING_USERNAME") or "this account"
    return (
        f"the MLflow tracking server does not let {user!r} do this ({error.message}); ask its "
        "admin for the permission (EDIT on the experiment, MANAGE on the registered model)"
    )
