"""Monitoring: whether a batch drifted from the training data, and batches to try it on."""

import argparse
from pathlib import Path

from {{ cookiecutter.package_name }}.cli.commands import Commands, argument
from {{ cookiecutter.package_name }}.core.config import load_params
from {{ cookiecutter.package_name }}.core.errors import ProjectError

# Distinct from 1 (an error) and 2 (a usage error), so CI can tell "retrain" from "broken".
DRIFT_EXIT_STATUS = 3

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
