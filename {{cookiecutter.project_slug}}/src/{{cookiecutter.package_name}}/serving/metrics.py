"""Prometheus metrics per model version, in a registry of the app's own.

With several worker processes, prometheus_client keeps each worker's series in files of its own
under PROMETHEUS_MULTIPROC_DIR (when that variable is set before it is imported), and /metrics
adds up all the workers' files: whichever worker answers, the figures are the server's.
A collector registered with `expose` is read as /metrics is, in the worker that answers.
"""

import os
from dataclasses import dataclass
from pathlib import Path

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.registry import Collector

CONTENT_TYPE = CONTENT_TYPE_LATEST
LATENCY_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
LABELS = ("model_version", "mode")


@dataclass(frozen=True)
class VersionMetrics:
    """The series of one model version in one mode, bound once so requests skip label lookups."""

    requests: Counter
    client_errors: Counter
    server_errors: Counter
    rows: Counter
    latency: Histogram


class ServingMetrics:
    def __init__(self, multiprocess_dir: Path | None = None):
        """`multiprocess_dir`: the workers' PROMETHEUS_MULTIPROC_DIR; None in a server of one
        process, whose figures are those of this registry."""
        self.registry = CollectorRegistry()
        self._requests = Counter(
            "serving_requests",
            "Prediction requests, by the model version that answered them (mode=served) "
            "or scored them in the background (mode=shadow)",
            LABELS,
            registry=self.registry,
        )
        self._errors = Counter(
            "serving_errors",
            "Requests that failed: kind=client (input rejected) or kind=server (model failed)",
            (*LABELS, "kind"),
            registry=self.registry,
        )
        self._rows = Counter("serving_rows", "Rows scored", LABELS, registry=self.registry)
        self._latency = Histogram(
            "serving_latency_seconds",
            "Seconds to answer a request (mode=served) or to score it (mode=shadow)",
            LABELS,
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        # Not per version: a request refused as busy never reached a model.
        self.busy = Counter(
            "serving_busy",
            "Requests refused with 503 because SERVING_MAX_CONCURRENT_REQUESTS were in flight",
            registry=self.registry,
        )
        self._feedback = Counter(
            "serving_feedback",
            "Labels sent to /feedback: outcome=recorded, or outcome=rejected (each label of "
            "a body refused with 422)",
            ("outcome",),
            registry=self.registry,
        )
        self.feedback_recorded = self._feedback.labels("recorded")
        self.feedback_rejected = self._feedback.labels("rejected")
        self._loaded = Gauge(
            "serving_model_loaded",
            "1 for each model version being served, by its role",
            ("model_version", "role"),
            registry=self.registry,
            # With several workers: 1 while any live worker serves the version. Not a sum,
            # which would count workers; not "max", which would keep at 1 the version of a
            # worker that has stopped (`kill -HUP` replaces the workers, and each loads the
            # alias anew). A worker withdraws its own as it stops (close); one killed outright
            # leaves its line until the server stops.
            multiprocess_mode="livemax",
        )
        self._multiprocess_dir = multiprocess_dir
        if multiprocess_dir is None:
            self._exposed = self.registry
        else:
            self._exposed = CollectorRegistry()
            multiprocess.MultiProcessCollector(self._exposed, path=str(multiprocess_dir))

    def expose(self, collector: Collector) -> None:
        """Add a collector's series to those /metrics shows: read as it is asked, once."""
        self._exposed.register(collector)

    def for_version(self, version: str, mode: str) -> VersionMetrics:
        return VersionMetrics(
            requests=self._requests.labels(version, mode),
            client_errors=self._errors.labels(version, mode, "client"),
            server_errors=self._errors.labels(version, mode, "server"),
            rows=self._rows.labels(version, mode),
            latency=self._latency.labels(version, mode),
        )

    def mark_loaded(self, version: str, role: str) -> None:
        self._loaded.labels(version, role).set(1)

    def exposition(self) -> bytes:
        return generate_latest(self._exposed)

    def close(self) -> None:
        if self._multiprocess_dir is not None:
            multiprocess.mark_process_dead(os.getpid(), str(self._multiprocess_dir))
