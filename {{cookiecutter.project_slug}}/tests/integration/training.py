"""Train the project's pipeline on rows of a test's choosing: rows made from the project's own
description (tests/synthetic.py) have a target that their features decide, so a model trained on
them beats one trained on the same rows with their labels shuffled, by construction."""

from pathlib import Path

import pandas as pd

from {{ cookiecutter.package_name }}.core.config import load_params
from {{ cookiecutter.package_name }}.project.schema import DATA

from tests.integration.project_copy import Runner, commit_all

PARAMS = load_params()
# Enough rows for every split the pipeline makes, and for the target to be learnt.
ROWS = max(300, PARAMS.data.min_rows)
RAW_DATA = PARAMS.paths.raw_data


def shuffled(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    """The rows with their labels or values shuffled: nothing left to learn."""
    target = frame[DATA.target.name].sample(frac=1, random_state=seed).to_numpy()
    return frame.assign(**{DATA.target.name: target})


def train_on(project: Path, run: Runner, frame: pd.DataFrame, message: str) -> str:
    """Make the rows the raw data, commit them and reproduce the pipeline; return the commit."""
    frame.to_csv(project / RAW_DATA, index=False)
    run("dvc", "add", "--quiet", str(RAW_DATA))
    commit = commit_all(run, message)
    run("dvc", "repro")
    return commit
