"""Load params.yaml and the environment into frozen, validated settings."""

import os
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from {{ cookiecutter.package_name }}.core.errors import ConfigError
from {{ cookiecutter.package_name }}.core.tasks import TASKS, TaskKind
from {{ cookiecutter.package_name }}.project.model import TrainParams

PARAMS_FILE = Path("params.yaml")
DEFAULT_TRACKING_URI = "sqlite:///mlflow.db"


class FrozenModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Paths(FrozenModel):
    raw_data: Path
    validation_report: Path
    train_data: Path
    test_data: Path
    tuned_params: Path
    model: Path
    training_run: Path
    metrics: Path
    plots: Path
    gate_decision: Path
    gate_summary: Path
    model_card: Path
    model_card_html: Path
    ci_report: Path
    reference_profile: Path
    drift_result: Path
    drift_report: Path
    labels: Path
    live_quality_result: Path
    live_quality_report: Path
    ab_result: Path
    ab_report: Path
    canary_result: Path
    canary_report: Path
    cost_records: Path
    cost_result: Path
    cost_summary: Path


class DataParams(FrozenModel):
    min_rows: int = Field(ge=1)


class TaskParams(FrozenModel):
    kind: TaskKind


class SplitParams(FrozenModel):
    test_size: float = Field(gt=0, lt=1)
    seed: int
    # auto: by time when schema.py declares a time column, else stratified by class for
    # classification and at random for regression.
    strategy: Literal["auto", "random", "stratified", "time"] = "auto"


class ComputeParams(FrozenModel):
    # A Dask scheduler address; None keeps the work on this machine.
    scheduler: str | None = None


class Distribution(FrozenModel):
    """A range the randomized search samples from."""

    distribution: Literal["uniform", "loguniform", "randint"]
    low: float
    high: float

    @model_validator(mode="after")
    def _check_range(self) -> "Distribution":
        if self.low >= self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        if self.distribution == "loguniform" and self.low <= 0:
            raise ValueError(f"loguniform needs a positive low, not {self.low}")
        return self


SearchValues = Annotated[list[Any], Field(min_length=1)] | Distribution


class TuneParams(FrozenModel):
    enabled: bool
    method: Literal["grid", "random"]
    n_iter: int = Field(ge=1)
    cv_folds: int = Field(ge=2)
    # One of the task's metrics (tasks.py).
    scoring: str
    space: dict[str, SearchValues] = Field(min_length=1)

    @model_validator(mode="after")
    def _check_space(self) -> "TuneParams":
        fields = TrainParams.model_fields
        unknown = sorted(set(self.space) - set(fields))
        if unknown:
            raise ValueError(
                f"space names {', '.join(unknown)}, not in the train section "
                f"(its settings: {', '.join(fields)})"
            )
        if self.method == "grid":
            ranges = [
                name for name, values in self.space.items() if isinstance(values, Distribution)
            ]
            if ranges:
                raise ValueError(
                    f"a grid search needs lists of values, not ranges: {', '.join(ranges)}"
                )
        return self


class EvaluateParams(FrozenModel):
    decision_threshold: float = Field(gt=0, lt=1)


class GateParams(FrozenModel):
    primary_metric: str
    # The worst value of the primary metric a challenger may have: a minimum when greater is
    # better, a maximum when lower is better (rmse, log_loss).
    worst_acceptable: float
    min_improvement: float = Field(ge=0)
    max_secondary_drop: dict[str, float] = Field(default_factory=dict)


class CardParams(FrozenModel):
    """The model card: what people must say about the model, and how it is measured."""

    owner: str = Field(min_length=1)
    intended_use: str = Field(min_length=1)
    # Columns of schema.py the metrics are measured on each group of; schema.py declares them,
    # which only the card checks, so that reading params.yaml needs no data description.
    slices: tuple[str, ...] = ()
    # A numeric column with more distinct values than this is cut into this many quantile bins.
    slice_bins: int = Field(default=4, ge=2)
    # A group with fewer test rows is flagged: its metrics are too noisy to read much into.
    min_slice_rows: int = Field(default=30, ge=1)
    # The column whose groups the model should treat alike; None measures no fairness.
    sensitive_column: str | None = None
    bootstrap_samples: int = Field(default=1000, ge=1)
    confidence_level: float = Field(default=0.95, gt=0, lt=1)
    importance_repeats: int = Field(default=5, ge=1)


class DriftParams(FrozenModel):
    reference_sample_size: int = Field(ge=1)
    p_value: float = Field(gt=0, lt=1)
    min_ks_statistic: float = Field(ge=0, le=1)
    min_cramers_v: float = Field(ge=0, le=1)
    # The smallest change in a feature's share of missing values that counts as drift.
    min_missing_change: float = Field(default=0.05, ge=0, le=1)
    max_drifted_features: int = Field(ge=0)
    min_batch_rows: int = Field(ge=2)


class LiveQualityParams(FrozenModel):
    """Live quality: the champion measured on the labels its predictions got (monitoring/)."""

    # The predictions of the last this many days are measured,
    window_days: float = Field(gt=0)
    # with the labels that came at most this many hours after their prediction,
    max_label_delay_hours: float = Field(gt=0)
    # and a version is judged only on at least this many labelled rows.
    min_labels: int = Field(ge=2)


class AbParams(FrozenModel):
    """A/B decisions: the challenger against the champion on the labelled predictions of the
    live-quality window (monitoring/ab.py)."""

    # The interval of the challenger's improvement holds the true one this often.
    confidence: float = Field(gt=0, lt=1)
    # The smallest improvement worth having, in the primary metric's units; above 0, so that a
    # challenger no better than the champion is kept once the interval is narrow enough.
    min_effect: float = Field(gt=0)
    # Fewer labelled rows in an arm cannot tell a better model from luck, whatever the interval.
    min_labels_per_arm: int = Field(ge=2)
    # Percentiles of fewer resamples move from one seed to the next.
    resamples: int = Field(ge=100)
    # The same log and labels give the same decision.
    seed: int


class CanaryParams(FrozenModel):
    """The SLO a canary must keep over one window to be promoted (monitoring/canary.py)."""

    # Long enough for min_requests to arrive at the canary's share of the traffic.
    window_seconds: float = Field(gt=0)
    # Fewer requests on the canary cannot tell a sound version from a lucky one: no promotion
    # before this many (a breach rolls back at any count: a failure is never luck).
    min_requests: int = Field(ge=1)
    # The share of the canary's requests that may end in a server error, whatever the stable's,
    max_error_ratio: float = Field(ge=0, le=1)
    # and how far above the stable's own share in the same window (both see the same callers).
    max_error_ratio_increase: float = Field(ge=0, le=1)
    # The canary's 95th-percentile latency, in seconds, at most,
    max_p95_latency_seconds: float = Field(gt=0)
    # and as a multiple of the stable's: above 1, since the histogram's buckets are coarse.
    max_latency_ratio: float = Field(gt=1)


class MachineClass(FrozenModel):
    """What a class of machine charges: per core-hour of CPU, and per GB-hour of memory."""

    core_hour: float = Field(ge=0)
    gb_hour: float = Field(ge=0)


class CostParams(FrozenModel):
    # Declared before the keys that name one of them, so their check can see them.
    machines: dict[str, MachineClass] = Field(min_length=1)
    machine: str
    # The class of the Dask cluster's workers; None: the same as `machine`.
    cluster_machine: str | None = None
    # An ISO 4217 code: it names the cost metrics logged to MLflow (amount_usd).
    currency: str = Field(pattern=r"^[A-Z]{3}$")

    @field_validator("machine", "cluster_machine")
    @classmethod
    def _check_declared(cls, name: str | None, info: ValidationInfo) -> str | None:
        machines = info.data.get("machines")
        if name is None or machines is None or name in machines:
            return name
        raise ValueError(
            f"{name!r} is not a class in cost.machines; declare it there or name one of "
            f"{', '.join(machines)}"
        )

    @property
    def prices(self) -> MachineClass:
        return self.machines[self.machine]

    @property
    def cluster_prices(self) -> MachineClass:
        return self.machines[self.cluster_machine or self.machine]


class MlflowParams(FrozenModel):
    experiment: str = Field(min_length=1)
    model_name: str = Field(min_length=1)


class Params(FrozenModel):
    paths: Paths
    task: TaskParams
    data: DataParams
    split: SplitParams
    # The model's own settings are declared beside it, in model.py.
    train: TrainParams
    compute: ComputeParams
    tune: TuneParams
    evaluate: EvaluateParams
    gate: GateParams
    card: CardParams
    drift: DriftParams
    live_quality: LiveQualityParams
    ab: AbParams
    canary: CanaryParams
    mlflow: MlflowParams
    cost: CostParams

    @model_validator(mode="after")
    def _check_metrics_belong_to_the_task(self) -> "Params":
        known = TASKS[self.task.kind].metrics
        named = {
            "gate.primary_metric": [self.gate.primary_metric],
            "gate.max_secondary_drop": list(self.gate.max_secondary_drop),
            "tune.scoring": [self.tune.scoring],
        }
        for key, metrics in named.items():
            unknown = [metric for metric in metrics if metric not in known]
            if unknown:
                raise ValueError(
                    f"{key}: {', '.join(unknown)} is not a metric of a {self.task.kind} task; "
                    f"its metrics are {', '.join(known)}"
                )
        return self

    @model_validator(mode="after")
    def _check_search_values(self) -> "Params":
        # Each value to try must be one the train section itself would accept.
        for name, values in self.tune.space.items():
            for value in values if isinstance(values, list) else []:
                try:
                    TrainParams.model_validate({**self.train.model_dump(), name: value})
                except ValidationError as error:
                    reason = error.errors()[0]["msg"]
                    raise ValueError(f"tune.space.{name}: {value!r}: {reason}") from None
        return self


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
        problems = "; ".join(_describe(issue) for issue in error.errors())
        raise ConfigError(f"{path}: {problems}") from None


def _describe(issue) -> str:
    # Checks across sections sit at the top level and name their keys themselves.
    where = ".".join(str(part) for part in issue["loc"])
    message = issue["msg"].removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def tracking_uri() -> str:
    """Return the MLflow tracking URI: the environment's, or the embedded sqlite store."""
    return os.environ.get("MLFLOW_TRACKING_URI") or DEFAULT_TRACKING_URI
