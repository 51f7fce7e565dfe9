"""Fixtures that bake the template into temporary directories, and the run's timings."""

import pytest

from tests.baking import Bake, bake_into

# A test records the seconds of slow steps worth watching as this property (`record_property`),
# by name; the run prints them at its end.
SECONDS = "seconds"


@pytest.fixture
def bake(tmp_path) -> Bake:
    return lambda **answers: bake_into(tmp_path, **answers)


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
