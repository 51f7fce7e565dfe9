"""Fixtures that bake the template into temporary directories, the run's timings, and skips.

A test that needs a tool the machine lacks (a Docker engine, kubectl, gitlab-ci-local) skips,
naming the command that installs it, so that a newcomer's `make test` passes with what the
machine has. Where every test must run, as in CI, FAIL_ON_SKIP=1 turns each such skip into a
failure; SKIPPED_TESTS names a file that collects the skips of every session, for one list at
the end of `make test`.
"""

import os
from pathlib import Path

import pytest

from tests.baking import Bake, bake_into

# A test records the seconds of slow steps worth watching as this property (`record_property`),
# by name; the run prints them at its end.
SECONDS = "seconds"


@pytest.fixture
def bake(tmp_path) -> Bake:
    return lambda **answers: bake_into(tmp_path, **answers)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    # An expected failure (xfail) is not a skip for lack of a tool.
    if report.skipped and not hasattr(report, "wasxfail"):
        _, _, reason = report.longrepr
        reason = reason.removeprefix("Skipped: ")
        if os.environ.get("FAIL_ON_SKIP") == "1":
            report.outcome = "failed"
            report.longrepr = f"skipped where every test must run (FAIL_ON_SKIP=1): {reason}"
        elif os.environ.get("SKIPPED_TESTS"):
            with Path(os.environ["SKIPPED_TESTS"]).open("a") as stream:
                stream.write(f"{reason}\n")
    return report


def pytest_terminal_summary(terminalreporter) -> None:
    # From the reports, which pytest-xdist brings back from its workers.
    timings: dict[str, float] = {}
    for reports in terminalreporter.stats.values():
        for report in reports:
            for name, value in getattr(report, "user_properties", ()):
                if name == SECONDS:
                    timings |= value
    if timings:
        terminalreporter.section("timings")
        for name, seconds in timings.items():
            terminalreporter.write_line(f"{seconds:7.1f} s  {name}")
