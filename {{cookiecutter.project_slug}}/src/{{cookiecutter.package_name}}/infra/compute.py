"""Where parallel work runs: on this machine, or on the Dask cluster the configuration names.

The search (through joblib) and batch scoring (through Dask collections) run the same code in
both places; only the scheduler address changes. What the workers spend on this process's work is
measured too, for the stage's cost.
"""

import os
import resource
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from {{ cookiecutter.package_name }}.core.config import ComputeParams
from {{ cookiecutter.package_name }}.core.errors import ComputeError

# Dask's own name for it, so `dask` commands and this project agree on the cluster.
SCHEDULER_VARIABLE = "DASK_SCHEDULER_ADDRESS"
CONNECT_TIMEOUT_SECONDS = 10
WORKER_WAIT_SECONDS = 30
LOCAL = "this machine"
# ru_maxrss counts kibibytes on Linux, bytes on macOS.
MAXRSS_BYTES = 1 if sys.platform == "darwin" else 1024


@dataclass(frozen=True)
class ClusterUsage:
    """What the Dask workers spent on one session of this process's work."""

    wall_seconds: float
    # Across the workers, from the session's start to its end.
    cpu_seconds: float
    # The sum of each worker's peak resident memory since the worker started: an upper bound
    # of what the session held.
    peak_memory_bytes: int
    workers: int


# Every session of this process, in order. Whoever measures a stage (cli/pipeline.py) reads them
# after the stage, so stages need not pass them along.
CLUSTER_SESSIONS: list[ClusterUsage] = []


def process_usage() -> tuple[float, int]:
    """The CPU seconds this process and its ended children have used, and their peak resident
    memory in bytes (this process's plus its largest child's). Runs here, and on each Dask
    worker through `client.run`."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_seconds = own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
    return cpu_seconds, (own.ru_maxrss + children.ru_maxrss) * MAXRSS_BYTES


@contextmanager
def dask_installed(work: str) -> Iterator[None]:
    """Imports inside this block that find no Dask (the `dask` group, not a default one) raise
    a ComputeError naming the command that installs it."""
    try:
        yield
    except ModuleNotFoundError as error:
        if error.name not in {"dask", "distributed", "pyarrow"}:
            raise
        raise ComputeError(
            f"{work} needs Dask, which this environment lacks ({error.name}); add it with "
            "`make setup EXTRA_GROUPS=dask` (the `dask` group of pyproject.toml)"
        ) from None


def scheduler_address(params: ComputeParams) -> str | None:
    """Return the scheduler to use: the environment's, then params.yaml's, else None (local)."""
    return os.environ.get(SCHEDULER_VARIABLE) or params.scheduler


@contextmanager
def compute_on(address: str | None) -> Iterator[str]:
    """Send joblib's work and Dask collections to the cluster at `address`, or keep them here.

    Yields a description of where the work runs, for messages and run tags. Work that ends
    without an error on a cluster adds what the workers spent to CLUSTER_SESSIONS.
    """
    if address is None:
        yield LOCAL
        return
    import joblib

    with dask_installed(f"The Dask cluster at {address}"):
        from distributed import Client

    try:
        client = Client(address, timeout=CONNECT_TIMEOUT_SECONDS)
    except OSError as error:
        raise ComputeError(
            f"Dask scheduler {address} is not reachable ({error}); start it with "
            f"`dask scheduler`, or fix compute.scheduler in params.yaml or {SCHEDULER_VARIABLE}"
        ) from None
    # A client is the default scheduler of every Dask collection until it closes.
    with client, joblib.parallel_config(backend="dask"):
        try:
            client.wait_for_workers(1, timeout=WORKER_WAIT_SECONDS)
        except TimeoutError:
            raise ComputeError(
                f"Dask scheduler {address} has no workers after {WORKER_WAIT_SECONDS} s; "
                f"start one with `dask worker {address}`"
            ) from None
        cpu_before = {worker: cpu for worker, (cpu, _) in client.run(process_usage).items()}
        started = time.perf_counter()
        yield f"the Dask cluster at {address}"
        after = client.run(process_usage)
        CLUSTER_SESSIONS.append(
            ClusterUsage(
                wall_seconds=time.perf_counter() - started,
                # A worker that joined meanwhile counts from its start; one that left, not at all.
                cpu_seconds=sum(
                    cpu - cpu_before.get(worker, 0.0) for worker, (cpu, _) in after.items()
                ),
                peak_memory_bytes=sum(peak for _, peak in after.values()),
                workers=len(after),
            )
        )
