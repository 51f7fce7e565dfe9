"""Load params.yaml and the environment into frozen, validated settings."""

import os
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from {{ cookiecutter.package_name }}.errors import ConfigError
from {{ cookiecutter.package_name }}.model import TrainParams

PARAMS_FILE = Path("params.yaml")
DEFAULT_TRACKING_URI = "sqlite:///mlflow.db"

Metric = Literal["accuracy", "precision", "recall", "f1", "roc_auc"]


class FrozenModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Paths(FrozenModel):
    raw_data: Path
    validation_report: Path
    train_data: Path
    test_data: Path
    model: Path
    training_run: Path
    metrics: Path
    confusion_plot: Path
    roc_plot: Path
    gate_decision: Path
    gate_summary: Path
    ci_report: Path
    reference_profile: Path
    drift_result: Path
    drift_report: Path


class DataParams(FrozenModel):
    min_rows: int = Field(ge=1)


class SplitParams(FrozenModel):
    test_size: float = Field(gt=0, lt=1)
    seed: int


class EvaluateParams(FrozenModel):
    decision_threshold: float = Field(gt=0, lt=1)


class GateParams(FrozenModel):
    primary_metric: Metric
    min_primary: float = Field(ge=0, le=1)
    min_improvement: float = Field(ge=0)
    max_secondary_drop: dict[Metric, float] = Field(default_factory=dict)


class DriftParams(FrozenModel):
    reference_sample_size: int = Field(ge=1)
    p_value: float = Field(gt=0, lt=1)
    min_ks_statistic: float = Field(ge=0, le=1)
    min_cramers_v: float = Field(ge=0, le=1)
    max_drifted_features: int = Field(ge=0)
    min_batch_rows: int = Field(ge=2)


class MlflowParams(FrozenModel):
    experiment: str = Field(min_length=1)
    model_name: str = Field(min_length=1)


class Params(FrozenModel):
    paths: Paths
    data: DataParams
    split: SplitParams
    # The model's own settings are declared beside it, in model.py.
    train: TrainParams
    evaluate: EvaluateParams
    gate: GateParams
    drift: DriftParams
    mlflow: MlflowParams


def load_params(path: Path = PARAMS_FILE) -> Params:
    """Read and validate the parameter file, naming the file and key on any error."""
    try:
        raw = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found (run commands from the project root)") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: not valid YAML: {error}") from None
    try:
        return Params.model_validate(raw)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in issue['loc']) or '<top level>'}: {issue['msg']}"
            for issue in error.errors()
        )
        raise ConfigError(f"{path}: {problems}") from None


def tracking_uri() -> str:
    """Return the MLflow tracking URI: the environment's, or the embedded sqlite store."""
    return os.environ.get("MLFLOW_TRACKING_URI") or DEFAULT_TRACKING_URI
