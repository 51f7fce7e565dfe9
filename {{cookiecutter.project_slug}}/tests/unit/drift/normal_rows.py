"""Rows drawn from one known distribution, so drift is exactly what a test puts in."""

import numpy as np
import pandas as pd

from {{ cookiecutter.package_name }}.schema import FEATURES


def draw(rows: int, seed: int) -> pd.DataFrame:
    """Independent rows from the same normal distribution for every feature."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(rng.normal(50, 5, size=(rows, len(FEATURES))), columns=list(FEATURES))
