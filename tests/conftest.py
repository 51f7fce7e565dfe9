"""Fixtures that bake the template into temporary directories."""

import pytest

from tests.baking import Bake, bake_into


@pytest.fixture
def bake(tmp_path) -> Bake:
    return lambda **answers: bake_into(tmp_path, **answers)
