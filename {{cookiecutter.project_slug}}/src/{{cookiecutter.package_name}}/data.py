"""Read and write the tabular files that flow between stages."""

from pathlib import Path

import pandas as pd

from {{ cookiecutter.package_name }}.schema import FEATURES, TARGET


def read_table(path: Path) -> pd.DataFrame:
    return pd.read_csv(path)


def write_table(frame: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)


def features_and_target(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    return frame[list(FEATURES)], frame[TARGET]
