"""Read and write the tabular files that flow between stages, typed by the data description."""

from pathlib import Path

import numpy as np
import pandas as pd

from {{ cookiecutter.package_name }}.project.schema import DATA


def read_table(path: Path) -> pd.DataFrame:
    """Read a CSV file with the description's types: text stays text ("007", "yes")."""
    return pd.read_csv(path, dtype=DATA.read_dtypes())


def write_table(frame: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)


def features_and_target(frame: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """The model's features, and the target as classes 0..k-1 or as numbers."""
    return DATA.model_frame(frame), DATA.encode_target(frame[DATA.target.name])
