"""What the app serves: the models, routing, request schema, log, labels and metrics.

Everything is loaded once, in the background, so the server answers /health at once and
/ready only when the models can score.
"""

import gc
import json
import logging
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from {{ cookiecutter.package_name }}.core.errors import ProjectError
from {{ cookiecutter.package_name }}.core.tasks import Task
from {{ cookiecutter.package_name }}.monitoring.labels import GivenLabel, LabelStore
from {{ cookiecutter.package_name }}.serving.metrics import ServingMetrics, VersionMetrics
from {{ cookiecutter.package_name }}.serving.monitoring_metrics import MonitoringResults
from {{ cookiecutter.package_name }}.serving.prediction_log import PredictionLog
from {{ cookiecutter.package_name }}.serving.rollout import CHALLENGER, CHAMPION, Router
from {{ cookiecutter.package_name }}.serving.schemas import ParsedRequest, RequestSchema
from {{ cookiecutter.package_name }}.serving.served_model import ServedModel, load_model
from {{ cookiecutter.package_name }}.serving.settings import ServingSettings

logger = logging.getLogger(__name__)

State = Literal["loading", "ready", "failed"]
SERVED = "served"
SHADOW = "shadow"
# In the directory the workers of one server share: the locks on the prediction log's and the
# labels' sinks, and
# a mark from each worker that has loaded the models, named for its process id.
PREDICTION_LOG_LOCK = "prediction-log.lock"
LABELS_LOCK = "labels.lock"
LOADED_MARK = "loaded-"


@dataclass(frozen=True)
class Loaded:
    models: dict[str, ServedModel]
    schema: RequestSchema
    log: PredictionLog
    labels: LabelStore
    metrics: dict[tuple[str, str], VersionMetrics]


class Service:
    def __init__(self, settings: ServingSettings, shared_dir: Path | None = None):
        """`shared_dir`: the directory this process shares with the other workers of its
        server (their metrics, the log's lock, their marks once loaded), or None when it
        serves alone."""
        self.settings = settings
        self.shared_dir = shared_dir
        self.router = Router(settings.rollout, settings.challenger_weight)
        self.metrics = ServingMetrics(shared_dir)
        self.metrics.expose(MonitoringResults(settings.live_quality_result, settings.drift_result))
        self.state: State = "loading"
        self.failure: str | None = None
        self._loaded: Loaded | None = None

    def load(self) -> bool:
        """Load the models; on failure keep the reason for /ready and return False."""
        try:
            self._loaded = self._load()
        except Exception as error:
            self.failure = str(error) if isinstance(error, ProjectError) else repr(error)
            self.state = "failed"
            logger.error("could not load the model: %s", self.failure)
            return False
        # What is loaded now lives as long as the process: keeping it out of garbage collection
        # spares requests full collections over the libraries' objects (hundreds of ms here).
        gc.collect()
        gc.freeze()
        self.state = "ready"
        if self.shared_dir is not None:
            self._loaded_mark.touch()
        versions = {role: model.version for role, model in self._loaded.models.items()}
        logger.info("ready: %s", ", ".join(f"{r} version {v}" for r, v in versions.items()))
        return True

    def _load(self) -> Loaded:
        settings = self.settings
        models = {CHAMPION: load_model(settings.model)}
        if settings.challenger is not None:
            # Both read the same request: load_model holds each to the description's features.
            models[CHALLENGER] = load_model(settings.challenger)
        metrics = {}
        for role, model in models.items():
            self.metrics.mark_loaded(model.version, role)
            metrics[role, SERVED] = self.metrics.for_version(model.version, SERVED)
        if settings.rollout == "shadow":
            metrics[CHALLENGER, SHADOW] = self.metrics.for_version(
                models[CHALLENGER].version, SHADOW
            )
        schema = RequestSchema(models[CHAMPION].task.data, settings.max_batch_rows)
        log = PredictionLog(
            settings.prediction_log_path,
            lock_path=self._shared(PREDICTION_LOG_LOCK),
            max_bytes=settings.prediction_log_max_bytes,
            backups=settings.prediction_log_backups,
            request_key=settings.prediction_log_request_key,
        )
        labels = LabelStore(settings.labels_path, lock_path=self._shared(LABELS_LOCK))
        return Loaded(models, schema, log, labels, metrics)

    def _shared(self, name: str) -> Path | None:
        """The file of that name in the directory shared with the other workers, if any."""
        return None if self.shared_dir is None else self.shared_dir / name

    @property
    def ready(self) -> bool:
        return self.state == "ready"

    @property
    def _loaded_mark(self) -> Path:
        return self.shared_dir / f"{LOADED_MARK}{os.getpid()}"

    def workers_loading(self) -> int:
        """How many of the server's SERVING_WORKERS have yet to load the models; 0 when this
        process serves alone. The mark of a worker that died without removing it is not
        counted."""
        if self.shared_dir is None:
            return 0
        marks = self.shared_dir.glob(f"{LOADED_MARK}*")
        loaded = sum(is_running(int(mark.name.removeprefix(LOADED_MARK))) for mark in marks)
        return max(self.settings.workers - loaded, 0)

    @property
    def schema(self) -> RequestSchema:
        return self.loaded.schema

    @property
    def task(self) -> Task:
        """What the models return; the champion's and the challenger's are the project's."""
        return self.model(CHAMPION).task

    @property
    def loaded(self) -> Loaded:
        if self._loaded is None:
            raise RuntimeError("the service is not loaded yet")
        return self._loaded

    def model(self, role: str) -> ServedModel:
        return self.loaded.models[role]

    def metrics_for(self, role: str, mode: str) -> VersionMetrics:
        return self.loaded.metrics[role, mode]

    def score(
        self, role: str, mode: str, request: ParsedRequest, request_id: str, key: str | None
    ) -> str:
        """Score the rows with one model, log the prediction, and return its outputs as JSON."""
        model = self.model(role)
        started = time.perf_counter()
        outputs = json.dumps(model.predict(request.features, request.echoed), separators=(",", ":"))
        latency = time.perf_counter() - started
        self.loaded.log.write(
            request_id=request_id,
            request_key=key,
            model_version=model.version,
            role=role,
            mode=mode,
            latency_ms=latency * 1000,
            inputs_json=request.inputs_json,
            outputs_json=outputs,
        )
        self.metrics_for(role, mode).rows.inc(len(request.features))
        return outputs

    def record_labels(self, labels: list[GivenLabel]) -> None:
        """Keep labels given after the fact; `make live-quality` joins them to the log."""
        self.loaded.labels.append(labels)

    def shadow(self, role: str, request: ParsedRequest, request_id: str, key: str | None) -> None:
        """Score in the background: a failure is counted and logged, never seen by the caller."""
        metrics = self.metrics_for(role, SHADOW)
        metrics.requests.inc()
        started = time.perf_counter()
        try:
            self.score(role, SHADOW, request, request_id, key)
        except Exception:
            metrics.server_errors.inc()
            logger.exception("%s version %s failed in shadow", role, self.model(role).version)
            return
        metrics.latency.observe(time.perf_counter() - started)

    def close(self) -> None:
        if self._loaded is not None:
            self._loaded.log.close()
            self._loaded.labels.close()
        if self.shared_dir is not None:
            self._loaded_mark.unlink(missing_ok=True)
        self.metrics.close()


def new_request_id() -> str:
    return uuid.uuid4().hex


def is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
