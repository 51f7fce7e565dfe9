"""Serving: the service itself, the export and image it ships in, the check after a release,
and the comparison of the versions a rollout served."""

import argparse
import os
from pathlib import Path

from {{ cookiecutter.package_name }}.cli.commands import Commands, argument
from {{ cookiecutter.package_name }}.core.config import load_params

commands = Commands()


def default_port() -> int:
    return int(os.environ.get("PORT") or 8000)


def process_count(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of processes (1 or more)")
    return int(text)


def default_prediction_log() -> Path:
    from {{ cookiecutter.package_name }}.serving.settings import DEFAULT_PREDICTION_LOG

    return Path(os.environ.get("SERVING_PREDICTION_LOG") or DEFAULT_PREDICTION_LOG)


@commands.command(
    "serve",
    "serve the champion over HTTP (settings: SERVING_* variables)",
    argument("--host", default="127.0.0.1", help="address to listen on"),
    argument("--port", type=int, default=default_port(), help="port (default: $PORT or 8000)"),
    argument(
        "--workers",
        type=process_count,
        help="server processes, each with the models loaded (default: $SERVING_WORKERS or 1)",
    ),
)
def serve(args: argparse.Namespace) -> None:
    from {{ cookiecutter.package_name }}.serving.server import serve

    serve(args.host, args.port, args.workers)


@commands.command(
    "smoke",
    "check a released service: /ready, then one prediction",
    argument("--url", required=True, help="the service's base URL"),
    argument("--timeout", type=float, default=120, help="seconds to wait for /ready"),
)
def smoke(args: argparse.Namespace) -> None:
    from {{ cookiecutter.package_name }}.serving.smoke import smoke_test

    sample = load_params().paths.raw_data
    version = smoke_test(args.url, sample, args.timeout)
    print(f"{args.url} is ready and model version {version} answered a prediction")


@commands.command(
    "export",
    "export a registered model to a directory for an image",
    argument("--model", default="champion", help="alias, version or URI"),
    argument("--output", type=Path, required=True, help="directory to write"),
)
def export(args: argparse.Namespace) -> None:
    from {{ cookiecutter.package_name }}.reporting.card.files import ARTIFACT_DIR
    from {{ cookiecutter.package_name }}.serving.export import export_reference

    version = export_reference(args.model, args.output)
    card = (
        "with its model card"
        if (args.output / ARTIFACT_DIR).is_dir()
        else f"without a model card (`make card MODEL={version.version}` attaches one)"
    )
    print(f"exported {version.name} version {version.version} to {args.output}, {card}")


@commands.command(
    "build-args",
    "print docker build arguments labelling an export",
    argument("export", type=Path, help="directory written by `export`"),
)
def build_args(args: argparse.Namespace) -> None:
    from {{ cookiecutter.package_name }}.serving.export import image_labels

    labels = image_labels(args.export)
    print(" ".join(f"--build-arg {key}={value}" for key, value in labels.items()))


@commands.command(
    "rollout-report",
    "compare model versions in a prediction log",
    argument("--log", type=Path, default=default_prediction_log(), help="the prediction log"),
    argument("--json", action="store_true", help="print the report as JSON"),
)
def rollout_report(args: argparse.Namespace) -> None:
    from {{ cookiecutter.package_name }}.core.tasks import project_task
    from {{ cookiecutter.package_name }}.serving.report import build_report

    report = build_report(args.log, project_task(load_params().task.kind))
    print(report.to_json() if args.json else report.to_markdown(), end="")
