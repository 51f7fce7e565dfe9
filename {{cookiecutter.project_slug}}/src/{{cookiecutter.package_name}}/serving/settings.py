"""The service's settings, read once from SERVING_* environment variables."""

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, model_validator

from {{ cookiecutter.package_name }}.core.config import FrozenModel
from {{ cookiecutter.package_name }}.core.errors import ConfigError

ENV_PREFIX = "SERVING_"
STDOUT_SINK = "-"
DEFAULT_PREDICTION_LOG = "logs/predictions.jsonl"

# Room for one row's JSON: a row of a few hundred fields fits, so the default body limit admits
# any batch of SERVING_MAX_BATCH_ROWS rows (about 1.2 kB a row for a typical table).
BYTES_PER_ROW = 8192
PREDICTION_LOG_MAX_BYTES = 100 * 1024 * 1024
PREDICTION_LOG_BACKUPS = 5

RolloutMode = Literal["none", "canary", "shadow"]
# What the prediction log keeps of X-Request-Key: its SHA-256, nothing, or the key as sent.
RequestKeyLogging = Literal["hash", "drop", "keep"]
HASHED: RequestKeyLogging = "hash"


class ServingSettings(FrozenModel):
    """What to serve and how; each field is read from SERVING_<FIELD NAME IN CAPITALS>."""

    # `models:/<name>@<alias>` (or `/<version>`) from the registry, or an exported directory.
    model: str = Field(min_length=1)
    challenger: str | None = None
    rollout: RolloutMode = "none"
    # Share of requests the challenger answers in a canary rollout.
    challenger_weight: float = Field(default=0.1, ge=0, le=1)
    max_batch_rows: int = Field(default=1000, ge=1)
    # Bodies over this many bytes are refused (413) before they are read; unset, room for
    # SERVING_MAX_BATCH_ROWS rows of BYTES_PER_ROW each.
    max_body_bytes: int | None = Field(default=None, ge=1)
    # A body must arrive within this many seconds (408 otherwise), so a client that dribbles
    # bytes cannot hold one of the request slots below for long.
    body_timeout_seconds: float = Field(default=30, gt=0)
    # Requests in flight at once, each holding up to a body in memory; more are answered 503
    # with Retry-After. The probes (/health, /ready) are never refused. Counted per worker.
    max_concurrent_requests: int = Field(default=16, ge=1)
    # Server processes sharing the port, each with the models loaded: scoring holds the GIL,
    # so one process uses one core. `serve --workers` overrides it.
    workers: int = Field(default=1, ge=1)
    # When set, /predict needs `Authorization: Bearer <key>` and /model shows lineage only
    # to holders of the key.
    api_key: SecretStr | None = Field(default=None, min_length=16)
    # A JSON-lines file, or "-" for standard output.
    prediction_log: str = DEFAULT_PREDICTION_LOG
    # The file is renamed to <file>.1 (older ones to .2, ...) once it would pass this size.
    prediction_log_max_bytes: int = Field(default=PREDICTION_LOG_MAX_BYTES, ge=1)
    prediction_log_backups: int = Field(default=PREDICTION_LOG_BACKUPS, ge=1)
    prediction_log_request_key: RequestKeyLogging = HASHED
    # Where POST /feedback records labels: a JSON-lines file, or "-" for standard output.
    # Unset, params.yaml's paths.labels, where `make feedback` records them and `make
    # live-quality` reads them.
    labels: str = Field(min_length=1)
    # The latest results of `make live-quality` and `make drift`, shown on /metrics when they
    # exist. Unset, params.yaml's paths.live_quality_result and paths.drift_result.
    live_quality_result: Path
    drift_result: Path

    @model_validator(mode="after")
    def _challenger_matches_rollout(self) -> "ServingSettings":
        if self.rollout != "none" and self.challenger is None:
            raise ValueError(
                f"{ENV_PREFIX}ROLLOUT={self.rollout} needs {ENV_PREFIX}CHALLENGER "
                "(for example models:/<name>@challenger)"
            )
        if self.rollout == "none" and self.challenger is not None:
            raise ValueError(
                f"{ENV_PREFIX}CHALLENGER is set but {ENV_PREFIX}ROLLOUT is none; "
                "set it to canary or shadow, or unset the challenger"
            )
        return self

    @property
    def prediction_log_path(self) -> Path | None:
        return None if self.prediction_log == STDOUT_SINK else Path(self.prediction_log)

    @property
    def labels_path(self) -> Path | None:
        return None if self.labels == STDOUT_SINK else Path(self.labels)

    @property
    def body_limit(self) -> int:
        return self.max_body_bytes or self.max_batch_rows * BYTES_PER_ROW


def variable_name(field: str) -> str:
    return f"{ENV_PREFIX}{field.upper()}"


def settings_from_environ(
    environ: Mapping[str, str], defaults: Mapping[str, Callable[[], str]]
) -> ServingSettings:
    """Read the settings; an empty variable counts as unset. Errors name the variable.

    `defaults`: by field, what to call for a setting whose variable is unset (SERVING_MODEL,
    say); each is called only then, so an image that sets them needs no params.yaml.
    """
    known = [variable_name(field) for field in ServingSettings.model_fields]
    unknown = sorted(name for name in environ if name.startswith(ENV_PREFIX) and name not in known)
    if unknown:
        # A misspelt variable would otherwise be ignored without a word.
        raise ConfigError(
            f"serving settings: {', '.join(unknown)} is not a setting; they are {', '.join(known)}"
        )
    values = {
        field: environ[variable_name(field)]
        for field in ServingSettings.model_fields
        if environ.get(variable_name(field))
    }
    for field, default in defaults.items():
        if field not in values:
            values[field] = default()
    try:
        return ServingSettings.model_validate(values)
    except ValidationError as error:
        problems = "; ".join(
            (f"{variable_name(str(issue['loc'][0]))}: " if issue["loc"] else "")
            + issue["msg"].removeprefix("Value error, ")
            for issue in error.errors()
        )
        raise ConfigError(f"serving settings: {problems}") from None
