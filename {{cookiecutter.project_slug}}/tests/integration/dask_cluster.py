"""Start a real Dask cluster on this machine: a scheduler and worker processes, as people do."""

import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from distributed import Client

START_SECONDS = 60


@contextmanager
def local_cluster(directory: Path, workers: int) -> Iterator[str]:
    """Run `dask scheduler` and `workers` single-threaded `dask worker`s; yield the address."""
    dask = str(Path(sys.executable).parent / "dask")
    scheduler_file = directory / "scheduler.json"
    with ExitStack() as stack:

        def start(*command: str) -> None:
            stack.enter_context(_process(directory, *command))

        start(dask, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
              "--scheduler-file", str(scheduler_file))  # fmt: skip
        for number in range(workers):
            start(dask, "worker", "--scheduler-file", str(scheduler_file), "--nthreads", "1",
                  "--no-dashboard", "--name", f"worker-{number}")  # fmt: skip
        with Client(scheduler_file=str(scheduler_file), timeout=START_SECONDS) as client:
            client.wait_for_workers(workers, timeout=START_SECONDS)
            yield client.scheduler.address


def tasks_run_per_worker(address: str) -> list[int]:
    with Client(address) as client:
        counts = client.run(lambda dask_worker: dask_worker.state.executed_count)
    return [counts[worker] for worker in sorted(counts)]


@contextmanager
def _process(directory: Path, *command: str) -> Iterator[subprocess.Popen]:
    log = directory / f"{command[1]}-{len(list(directory.glob('*.log')))}.log"
    with log.open("w") as output:
        process = subprocess.Popen(command, cwd=directory, stdout=output, stderr=output)
    try:
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)
