import pytest

from {{ cookiecutter.package_name }}.core.config import load_params
from {{ cookiecutter.package_name }}.monitoring.drift.profile import (
    ReferenceProfile,
    build_profile,
)

from tests.unit.monitoring.drift.normal_rows import KINDS, draw


@pytest.fixture(scope="session")
def reference() -> ReferenceProfile:
    """The project's features in 2,000 rows: enough that chance alone never looks like drift."""
    return build_profile(draw(2000, seed=1), source="train.csv", sample_size=5000, seed=0)


@pytest.fixture(scope="session")
def kinds_reference() -> ReferenceProfile:
    """Rows of every kind of feature, each with some missing values."""
    return build_profile(draw(2000, 1, KINDS), "train.csv", sample_size=5000, seed=0, data=KINDS)


@pytest.fixture(scope="session")
def rules():
    return load_params().drift
