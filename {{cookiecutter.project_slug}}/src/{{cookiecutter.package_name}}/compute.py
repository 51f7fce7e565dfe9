"""Where parallel work runs: on this machine, or on the Dask cluster the configuration names.

The search (through joblib) and batch scoring (through Dask collections) run the same code in
both places; only the scheduler address changes.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager

from {{ cookiecutter.package_name }}.config import ComputeParams
from {{ cookiecutter.package_name }}.errors import ComputeError

# Dask's own name for it, so `dask` commands and this project agree on the cluster.
SCHEDULER_VARIABLE = "DASK_SCHEDULER_ADDRESS"
CONNECT_TIMEOUT_SECONDS = 10
WORKER_WAIT_SECONDS = 30
LOCAL = "this machine"


def scheduler_address(params: ComputeParams) -> str | None:
    """Return the scheduler to use: the environment's, then params.yaml's, else None (local)."""
    return os.environ.get(SCHEDULER_VARIABLE) or params.scheduler


@contextmanager
def compute_on(address: str | None) -> Iterator[str]:
    """Send joblib's work and Dask collections to the cluster at `address`, or keep them here.

    Yields a description of where the work runs, for messages and run tags.
    """
    if address is None:
        yield LOCAL
        return
    import joblib
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
        yield f"the Dask cluster at {address}"
