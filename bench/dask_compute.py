"""Measure the search and batch scoring on Dask against this machine, on a baked project.

Run with `nox --session bench -- dask_compute`. Figures go to stdout; nothing is asserted.

Search: the `tune` command over a 12-candidate grid with 5 folds on an enlarged training split,
on this machine (joblib's processes), then on a local Dask cluster of 1 and of 2
single-threaded workers. Batch scoring: the `score` command on synthetic Parquet datasets of
growing size, on this machine and on the 2-worker cluster, with the peak memory of the scoring
process; `predict`, which reads a whole CSV file at once, is the reference at the smallest size.
"""

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from baked import bake, environment, package_of, raw_data, run

SCHEDULER_VARIABLE = "DASK_SCHEDULER_ADDRESS"
TRAINING_ROWS = 40_000
SCORING_ROWS = (1_000_000, 5_000_000, 10_000_000)
ROWS_PER_FILE = 250_000
SCORING_REPEATS = 3
CLUSTER_START_SECONDS = 60

# Runs inside the baked project, with its own interpreter and package: rows drawn from the
# project's data with a little noise on its numbers, so that they pass the schema and look like
# real data.
SYNTHESIZE = """
import sys
from pathlib import Path
import numpy as np
from {package}.core.config import load_params
from {package}.core.data import read_table
from {package}.project.schema import DATA
rows, per_file, output = int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
sample = read_table(load_params().paths.raw_data)
numeric = [feature.name for feature in DATA.features if feature.kind == "numeric"]
rng = np.random.default_rng(0)

def draw(size, seed):
    frame = sample.sample(size, replace=True, random_state=seed).reset_index(drop=True)
    frame[numeric] = frame[numeric] * rng.normal(1.0, 0.02, (size, len(numeric)))
    return frame

if output.suffix == ".csv":
    draw(rows, 0).to_csv(output, index=False)
else:
    output.mkdir(parents=True)
    for part, start in enumerate(range(0, rows, per_file)):
        size = min(per_file, rows - start)
        frame = draw(size, part).drop(columns=[DATA.target.name])
        frame["row_id"] = np.arange(start, start + size)
        frame.to_parquet(output / f"part-{{part:04}}.parquet", index=False)
"""

SEARCH = """
import yaml
params = yaml.safe_load(open("params.yaml"))
params["tune"].update(enabled=True, method="grid", cv_folds=5, space={
    "C": [0.001, 0.01, 0.1, 1.0, 10.0, 100.0], "class_weight": [None, "balanced"]})
yaml.safe_dump(params, open("params.yaml", "w"), sort_keys=False)
"""

# Runs a command; prints the peak resident memory of its largest process, in kilobytes.
PEAK_MEMORY = """
import resource, subprocess, sys
subprocess.run(sys.argv[1:], check=True, capture_output=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""

WAIT_FOR_WORKERS = """
import sys
from distributed import Client
client = Client(scheduler_file=sys.argv[1], timeout=int(sys.argv[3]))
client.wait_for_workers(int(sys.argv[2]), timeout=int(sys.argv[3]))
print(client.scheduler.address)
"""


def measured(
    project: Path, *command: str, env: dict[str, str] | None = None, repeats: int = 1
) -> tuple[float, int]:
    """Run a command; return its median wall time in seconds and its peak memory in megabytes."""
    times, peaks = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        peaks.append(int(run(project, "python", "-c", PEAK_MEMORY, *command, env=env)) // 1024)
        times.append(time.perf_counter() - start)
    return statistics.median(times), max(peaks)


@contextmanager
def dask_cluster(project: Path, workers: int) -> Iterator[dict[str, str]]:
    """Start a scheduler and single-threaded workers; yield the variable that points at them."""
    directory = Path(tempfile.mkdtemp(prefix="dask-"))
    scheduler_file = str(directory / "scheduler.json")
    with ExitStack() as stack:

        def start(*command: str) -> None:
            process = subprocess.Popen(
                command, cwd=directory, env=environment(project),
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            stack.callback(process.wait, 30)
            stack.callback(process.terminate)

        start("dask", "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
              "--scheduler-file", scheduler_file)  # fmt: skip
        for _ in range(workers):
            start("dask", "worker", "--scheduler-file", scheduler_file, "--nthreads", "1",
                  "--no-dashboard")  # fmt: skip
        address = run(project, "python", "-c", WAIT_FOR_WORKERS, scheduler_file,
                      str(workers), str(CLUSTER_START_SECONDS)).strip()  # fmt: skip
        yield {SCHEDULER_VARIABLE: address}
    shutil.rmtree(directory, ignore_errors=True)


def benchmark_search(project: Path, package: str) -> None:
    train_data = "data/processed/train.csv"
    run(project, "python", "-c", SYNTHESIZE.format(package=package), str(TRAINING_ROWS), "0",
        train_data)  # fmt: skip
    run(project, "python", "-c", SEARCH)
    tune = ("python", "-m", package, "tune")
    print(f"search: 12 candidates x 5 folds on {TRAINING_ROWS} rows, `tune` end to end")
    seconds, _ = measured(project, *tune)
    print(f"  this machine (joblib, all cores) {seconds:6.1f} s")
    for workers in (1, 2):
        with dask_cluster(project, workers) as cluster:
            seconds, _ = measured(project, *tune, env=cluster)
        print(f"  Dask, {workers} worker(s)              {seconds:6.1f} s")


def benchmark_scoring(project: Path, package: str, scratch: Path) -> None:
    synthesize = SYNTHESIZE.format(package=package)
    score = ("python", "-m", package, "score", "--output", str(scratch / "scores.parquet"))
    print(f"batch scoring with the champion, `score` end to end (Parquet in, Parquet out), "
          f"median of {SCORING_REPEATS} runs after a warm-up; the marginal rate, from the "
          "previous size, leaves out the fixed cost of starting")  # fmt: skip
    run(project, *score, "--input", raw_data(project))
    previous = {}
    with dask_cluster(project, 2) as cluster:
        for rows in SCORING_ROWS:
            dataset = scratch / f"rows-{rows}"
            run(project, "python", "-c", synthesize, str(rows), str(ROWS_PER_FILE), str(dataset))
            for where, env in (("this machine", None), ("2 workers", cluster)):
                seconds, peak = measured(
                    project, *score, "--input", str(dataset), env=env, repeats=SCORING_REPEATS
                )
                memory = f"peak memory {peak:5} MB" if env is None else f"client {peak} MB"
                last_rows, last_seconds = previous.get(where, (0, 0.0))
                marginal = (
                    f"marginal {(rows - last_rows) / (seconds - last_seconds):>11,.0f} rows/s"
                    if where in previous
                    else " " * 29
                )
                print(f"  {rows:>10,} rows, {where:12} {seconds:6.1f} s  "
                      f"{rows / seconds:>9,.0f} rows/s  {marginal}  {memory}")  # fmt: skip
                previous[where] = (rows, seconds)
            shutil.rmtree(dataset)

    rows = SCORING_ROWS[0]
    csv = scratch / "rows.csv"
    run(project, "python", "-c", synthesize, str(rows), "0", str(csv))
    print(f"the same {rows:,} rows as one CSV file: `predict` (whole file) against `score`")
    for command in ("predict", "score"):
        seconds, peak = measured(project, "python", "-m", package, command, "--input", str(csv),
                                 "--output", str(scratch / f"{command}.csv"))  # fmt: skip
        print(f"  {command:8} {seconds:6.1f} s  {rows / seconds:>9,.0f} rows/s  "
              f"peak memory {peak:5} MB")  # fmt: skip


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        project = bake(scratch)
        package = package_of(project)
        for target in ["setup", "repro", "register", "promote"]:
            run(project, "make", target)
        benchmark_scoring(project, package, Path(scratch))
        benchmark_search(project, package)


if __name__ == "__main__":
    sys.exit(main())
