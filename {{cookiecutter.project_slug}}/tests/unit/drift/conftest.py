import pytest

from {{ cookiecutter.package_name }}.config import load_params
from {{ cookiecutter.package_name }}.drift.profile import ReferenceProfile, build_profile
from tests.unit.drift.normal_rows import draw


@pytest.fixture(scope="session")
def reference() -> ReferenceProfile:
    return build_profile(draw(500, seed=1), source="train.csv", sample_size=5000, seed=0)


@pytest.fixture(scope="session")
def rules():
    return load_params().drift
