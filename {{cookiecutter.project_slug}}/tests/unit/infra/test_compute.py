import socket
import sys

import pytest

from {{ cookiecutter.package_name }}.core.config import ComputeParams
from {{ cookiecutter.package_name }}.core.errors import ComputeError
from {{ cookiecutter.package_name }}.infra import compute


def test_the_environment_names_the_scheduler_before_params(monkeypatch):
    monkeypatch.setenv(compute.SCHEDULER_VARIABLE, "tcp://from-env:8786")
    assert compute.scheduler_address(ComputeParams(scheduler="tcp://from-params:8786")) == (
        "tcp://from-env:8786"
    )


def test_without_a_scheduler_the_work_stays_here(monkeypatch):
    monkeypatch.delenv(compute.SCHEDULER_VARIABLE, raising=False)
    assert compute.scheduler_address(ComputeParams()) is None
    with compute.compute_on(None) as where:
        assert where == compute.LOCAL


def test_an_unreachable_scheduler_is_named(monkeypatch):
    monkeypatch.setattr(compute, "CONNECT_TIMEOUT_SECONDS", 1)
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{unused.getsockname()[1]}"
    with (
        pytest.raises(ComputeError, match=rf"Dask scheduler {address} is not reachable .*dask"),
        compute.compute_on(address),
    ):
        pass


def test_a_missing_dask_is_named_with_the_command_that_adds_it(monkeypatch):
    # None in sys.modules makes the import fail as if the group were not installed.
    monkeypatch.setitem(sys.modules, "distributed", None)
    with (
        pytest.raises(ComputeError, match=r"lacks \(distributed\).*`make setup EXTRA_GROUPS=dask`"),
        compute.compute_on("tcp://127.0.0.1:8786"),
    ):
        pass


def test_other_missing_modules_are_not_taken_for_dask():
    with pytest.raises(ModuleNotFoundError), compute.dask_installed("Scoring"):
        import a_module_no_group_installs  # noqa: F401
