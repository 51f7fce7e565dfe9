"""Prometheus metrics per model version, in a registry of the app's own."""

from dataclasses import dataclass

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

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
    def __init__(self):
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
        self._loaded = Gauge(
            "serving_model_loaded",
            "1 for each model version being served, by its role",
            ("model_version", "role"),
            registry=self.registry,
        )

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
        return generate_latest(self.registry)
