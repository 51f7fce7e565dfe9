"""The project's setup and the DVC pipeline: one command per stage, which dvc.yaml runs."""

import argparse
import json
import pkgutil
from collections.abc import Callable
from pathlib import Path

from {{ cookiecutter.package_name }} import pipeline
from {{ cookiecutter.package_name }}.cli.commands import Command, Commands, argument
from {{ cookiecutter.package_name }}.core.config import load_params
from {{ cookiecutter.package_name }}.core.errors import ProjectError
from {{ cookiecutter.package_name }}.core.tasks import TASKS

commands = Commands()


@commands.command("init-tracking", "create the MLflow store's schema (once, before any run)")
def init_tracking(args: argparse.Namespace) -> None:
    from {{ cookiecutter.package_name }}.infra import tracking

    print(f"MLflow store ready at {tracking.init_store()}")


@commands.command("init-data", "set DVC up and track the raw data (once, after generation)")
def init_data(args: argparse.Namespace) -> None:
    from {{ cookiecutter.package_name }}.infra.versioning import init_data_versioning

    print(init_data_versioning(load_params().paths.raw_data))


@commands.command(
    "adopt",
    "make a CSV table the project's data: describe it, set the task",
    argument("--data", type=Path, required=True, help="the CSV file"),
    argument("--target", required=True, help="the column to predict"),
    argument(
        "--task", choices=list(TASKS), help="binary, multiclass or regression (default: judged)"
    ),
)
def adopt(args: argparse.Namespace) -> None:
    from {{ cookiecutter.package_name }}.adopt.adoption import adopt

    print(adopt(args.data, args.target, args.task).summary())


def stage_commands() -> list[Command]:
    """A command per module of the pipeline package, its help the module docstring's first
    line: a stage added there is a command, with nothing to declare here."""
    return [
        Command(stage.name, run_stage(stage.name), f"pipeline stage: {stage_summary(stage.name)}")
        for stage in pkgutil.iter_modules(pipeline.__path__)
    ]


def stage_summary(name: str) -> str:
    """What the stage does, from its module's first line `\"\"\"Stage <name>: what it does.`.
    Read, not imported: a stage's imports (MLflow, scikit-learn) would slow every command."""
    source = Path(pipeline.__path__[0]) / f"{name}.py"
    with source.open() as lines:
        first = lines.readline().strip().removeprefix('"""').removesuffix('"""')
    prefix = f"Stage {name}: "
    if not first.startswith(prefix):
        raise ProjectError(
            f'{source}: the first line is to be the docstring """{prefix}what it does.'
            '""" (the help of the command that runs the stage)'
        )
    return first.removeprefix(prefix).removesuffix(".")


def run_stage(name: str) -> Callable[[argparse.Namespace], None]:
    def run(args: argparse.Namespace) -> None:
        from importlib import import_module

        from {{ cookiecutter.package_name }}.reporting import cost

        params = load_params()
        # Measured here, around the stage and its imports, so that no stage imports the meter.
        with cost.Meter() as meter:
            result = import_module(f"{pipeline.__name__}.{name}").run(params)
        cost.record_stage(name, meter, params)
        print(json.dumps(result, indent=2))

    return run
