"""Batch scoring: a dataset of any size, one partition at a time, here or on a Dask cluster."""

import glob
import shutil
from dataclasses import dataclass
from pathlib import Path

import dask
import dask.dataframe as dd
import pandas as pd

from {{ cookiecutter.package_name }}.core.description import DataDescription
from {{ cookiecutter.package_name }}.core.errors import DataValidationError
from {{ cookiecutter.package_name }}.core.tasks import Task
from {{ cookiecutter.package_name }}.scoring.predict import check_inputs, predict_frame

# Small enough that a few partitions per core fit in memory, large enough to keep the
# per-partition overhead low.
CSV_BLOCK_SIZE = "64MB"
MODEL_VERSION = "model_version"


@dataclass(frozen=True)
class ScoringJob:
    input: Path
    output: Path
    model_version: str
    task: Task
    decision_threshold: float


def read_dataset(path: Path, data: DataDescription) -> dd.DataFrame:
    """Read a CSV file, a Parquet file or directory, or a glob of either, lazily in partitions,
    with the types of the data's description."""
    matches = sorted(glob.glob(str(path)))
    if not matches:
        raise DataValidationError(f"{path}: no file matches (a path the workers can read, too)")
    if all(Path(match).is_dir() for match in matches) or path.suffix == ".parquet":
        return dd.read_parquet(matches)
    if path.suffix == ".csv":
        return dd.read_csv(matches, blocksize=CSV_BLOCK_SIZE, dtype=_csv_types(data))
    raise DataValidationError(f"{path}: not CSV (.csv) or Parquet (.parquet, or a directory)")


def score_dataset(model, job: ScoringJob) -> int:
    """Score every row of the input into the output; return the number of rows scored.

    The output keeps the input's columns that are not features (identifiers, for instance),
    and adds the model version and the task's outputs (tasks.py) for each row. It appears
    whole or not at all: an error leaves an earlier output in place.
    """
    dataset = read_dataset(job.input, job.task.data)
    features = job.task.data.feature_names
    missing = [name for name in features if name not in dataset.columns]
    if missing:
        raise DataValidationError(f"{job.input}: columns missing: {', '.join(missing)}")
    output_types = {
        **{name: dtype for name, dtype in dataset.dtypes.items() if name not in features},
        MODEL_VERSION: "string",
        **job.task.output_columns(),
    }
    scores = dataset.map_partitions(
        _score_partition,
        # One copy of the model in the graph, however many partitions use it.
        dask.delayed(model, pure=True),
        job,
        meta=output_types,
    )
    _check_replaceable(job.output)
    staging = job.output.with_name(f".{job.output.name}.partial")
    _remove(staging)
    job.output.parent.mkdir(parents=True, exist_ok=True)
    try:
        rows = _write(scores, staging, csv=job.output.suffix == ".csv")
    except ValueError as error:
        # pandas reading a CSV column declared as numbers; its message names the value only.
        if "could not convert" not in str(error):
            raise
        raise DataValidationError(
            f"{job.input}: a feature holds a value that is not a number ({error})"
        ) from None
    _remove(job.output)
    staging.rename(job.output)
    return rows


def _write(scores: dd.DataFrame, path: Path, csv: bool) -> int:
    """Write the scores to `path`, removing what was written if anything fails."""
    if csv:
        writer = scores.to_csv(path, single_file=True, index=False, compute=False)
        # The CSV writer works on the partitions' delayed objects: counting on the same ones
        # scores each partition once for both.
        row_count = dask.delayed(sum)([dask.delayed(len)(part) for part in scores.to_delayed()])
    else:
        writer = scores.to_parquet(path, write_index=False, compute=False)
        row_count = scores.map_partitions(len).sum()
    try:
        _, rows = dask.compute(writer, row_count)
    except BaseException:
        _remove(path)
        raise
    return int(rows)


def _check_replaceable(output: Path) -> None:
    # A directory is replaced only if it holds nothing but Parquet files: an earlier output.
    if output.is_dir() and any(entry.suffix != ".parquet" for entry in output.iterdir()):
        raise DataValidationError(
            f"{output}: a directory that is not an earlier scoring output; "
            "choose another output path"
        )


def _score_partition(
    frame: pd.DataFrame, model, job: ScoringJob, partition_info: dict | None = None
) -> pd.DataFrame:
    number = partition_info["number"] if partition_info else 0
    source = f"{job.input} partition {number} (lines counted from the partition's first row)"
    data = job.task.data
    features = data.feature_names
    inputs = check_inputs(frame[features], source, first_row_line=1, data=data)
    version = pd.Series(job.model_version, index=frame.index, dtype="string", name=MODEL_VERSION)
    outputs = predict_frame(model, job.task, inputs, job.decision_threshold)
    return pd.concat([frame.drop(columns=features), version, outputs], axis=1)


def _csv_types(data: DataDescription) -> dict[str, str]:
    # Declared rather than inferred from the first rows, which may not show every value.
    numbers = {f.name: "float64" for f in data.features if f.kind == "numeric"}
    return {**numbers, **data.read_dtypes()}


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)
