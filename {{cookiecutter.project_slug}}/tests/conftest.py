"""Fixtures shared by unit and integration tests, made from the project's own description."""

import pandas as pd
import pytest

from tests.synthetic import synthetic_frame


@pytest.fixture
def valid_frame() -> pd.DataFrame:
    """Training rows that satisfy the description, with a learnable target."""
    return synthetic_frame()
