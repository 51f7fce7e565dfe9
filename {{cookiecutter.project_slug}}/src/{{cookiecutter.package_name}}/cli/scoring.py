"""Scoring with a registered model: a CSV file at once, or a dataset of any size in partitions."""

import argparse
import sys
from pathlib import Path

from {{ cookiecutter.package_name }}.cli.commands import Commands, argument
from {{ cookiecutter.package_name }}.cli.registry import registry_session

MODEL = argument("--model", default="champion", help="alias, version or URI")

commands = Commands()


@commands.command(
    "predict",
    "score a CSV file with a registered model",
    argument("--input", type=Path, help="CSV file with feature columns (default: paths.raw_data)"),
    argument("--output", type=Path, help="CSV file to write (default: stdout)"),
    MODEL,
)
def predict(args: argparse.Namespace) -> None:
    import pandas as pd

    from {{ cookiecutter.package_name }}.core.tasks import project_task
    from {{ cookiecutter.package_name }}.core.validation import read_csv_for_validation
    from {{ cookiecutter.package_name }}.project.schema import DATA
    from {{ cookiecutter.package_name }}.registry import versions as registry
    from {{ cookiecutter.package_name }}.scoring.predict import check_inputs, predict_frame

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


@commands.command(
    "score",
    "score a dataset of any size in partitions, here or on a Dask cluster",
    argument("--input", type=Path, required=True, help="CSV or Parquet file, directory or glob"),
    argument("--output", type=Path, required=True, help="a .csv file, or else a Parquet directory"),
    MODEL,
)
def score(args: argparse.Namespace) -> None:
    from {{ cookiecutter.package_name }}.core.tasks import project_task
    from {{ cookiecutter.package_name }}.infra import compute
    from {{ cookiecutter.package_name }}.registry import versions as registry

    with compute.dask_installed("Batch scoring"):
        from {{ cookiecutter.package_name }}.scoring.batch import ScoringJob, score_dataset
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
