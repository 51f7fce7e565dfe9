"""One command per step. dvc.yaml, the Makefile and CI all call these."""

# The handlers import what they use as they run, so that a command loads only its own
# libraries: a stage's start-up is paid on every `dvc repro`, and the image that serves has no
# MLflow.

import argparse
import os
import sys

from {{ cookiecutter.package_name }}.cli import monitoring, pipeline, registry, scoring, serving
from {{ cookiecutter.package_name }}.cli.commands import Command
from {{ cookiecutter.package_name }}.core.errors import ProjectError


def all_commands() -> list[Command]:
    """Every command, in the order `--help` lists them."""
    return [
        *pipeline.commands.declared,
        *pipeline.stage_commands(),
        *registry.commands.declared,
        *scoring.commands.declared,
        *monitoring.commands.declared,
        *serving.commands.declared,
    ]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="{{ cookiecutter.package_name }}", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in all_commands():
        command.add_to(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
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
