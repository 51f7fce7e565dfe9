"""Fixtures shared by unit and integration tests."""

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.schema import FEATURES, TARGET


@pytest.fixture
def valid_frame() -> pd.DataFrame:
    """Rows that satisfy the schema, with a learnable target."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.uniform(0.1, 10.0, size=(150, len(FEATURES))), columns=list(FEATURES))
    frame[TARGET] = (frame[FEATURES[0]] > 5).astype(int)
    return frame
