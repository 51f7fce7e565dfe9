"""The latest monitoring results on /metrics: live quality (`make live-quality`) and drift
(`make drift`), read from their JSON files each time /metrics is asked, so Prometheus keeps
their history and alerts on it.

A result that does not exist yet shows no series; one that cannot be read shows none either,
and is logged once (until the file changes): /metrics never fails because of it.
"""

import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

VERSION_LABELS = ("model_version", "role", "mode")
BELOW_THE_BAR = "below the bar"
LIVE_QUALITY, DRIFT = "live_quality", "drift"

logger = logging.getLogger(__name__)


class MonitoringResults(Collector):
    def __init__(self, live_quality: Path, drift: Path):
        self.live_quality = live_quality
        self.drift = drift
        # The files found malformed, as (path, modification time): each is logged once.
        self._reported: set[tuple[Path, int]] = set()

    def collect(self) -> Iterator[GaugeMetricFamily]:
        timestamps = GaugeMetricFamily(
            "monitoring_report_timestamp_seconds",
            "When each monitoring result was last written (Unix time): an old one means the "
            "scheduled `make live-quality` or `make drift` has stopped",
            labels=("report",),
        )
        retrain = GaugeMetricFamily(
            "model_retrain_due",
            "1 when the latest result says retraining is due: reason=live_quality (the "
            "champion is below the gate's bar on its labels) or reason=drift",
            labels=("reason",),
        )
        families = []
        for name, path, read in (
            (LIVE_QUALITY, self.live_quality, live_quality_families),
            (DRIFT, self.drift, drift_families),
        ):
            found = self._read(path, read)
            if found is None:
                continue
            modified, due, more = found
            timestamps.add_metric([name], modified)
            retrain.add_metric([name], float(due))
            families += more
        yield from (family for family in (timestamps, retrain, *families) if family.samples)

    def _read(
        self, path: Path, read: Callable[[dict], tuple[bool, list[GaugeMetricFamily]]]
    ) -> tuple[float, bool, list[GaugeMetricFamily]] | None:
        """The file's modification time, whether it says retraining is due, and its series;
        None when it does not exist or cannot be read."""
        modified = 0
        try:
            modified = path.stat().st_mtime_ns
            due, families = read(json.loads(path.read_text()))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
            if (path, modified) not in self._reported:
                self._reported.add((path, modified))
                logger.warning(
                    "%s is not a monitoring result (%s: %s); /metrics leaves it out until "
                    "the command that writes it runs again",
                    path,
                    type(error).__name__,
                    error,
                )
            return None
        return modified / 1e9, due, families


def live_quality_families(result: dict) -> tuple[bool, list[GaugeMetricFamily]]:
    """The series of reports/live_quality.json (monitoring/quality.py's LiveQuality)."""
    quality = GaugeMetricFamily(
        "model_live_quality",
        "Each task metric of each served version, on its labelled predictions of the window",
        labels=(*VERSION_LABELS, "metric"),
    )
    labelled = GaugeMetricFamily(
        "model_live_labelled_rows",
        "Rows of each version in the window with a label in time",
        labels=VERSION_LABELS,
    )
    scored = GaugeMetricFamily(
        "model_live_scored_rows", "Rows each version scored in the window", labels=VERSION_LABELS
    )
    below = GaugeMetricFamily(
        "model_live_quality_below_bar",
        "1 when the version has enough labels and its primary metric is worse than the bar",
        labels=VERSION_LABELS,
    )
    for version in result["versions"]:
        group = [str(version[name]) for name in VERSION_LABELS]
        for metric, value in version["metrics"].items():
            if value is not None:
                quality.add_metric([*group, metric], float(value))
        labelled.add_metric(group, float(version["labelled"]))
        scored.add_metric(group, float(version["rows"]))
        below.add_metric(group, float(version["verdict"] == BELOW_THE_BAR))
    bar = GaugeMetricFamily(
        "model_live_quality_bar",
        "The worst acceptable value of the primary metric (params.yaml gate.worst_acceptable)",
        labels=("metric",),
    )
    bar.add_metric([result["primary_metric"]], float(result["worst_acceptable"]))
    outcomes = GaugeMetricFamily(
        "model_live_labels",
        "Labels given so far, by how they joined the prediction log: joined, late, duplicate, "
        "unknown",
        labels=("outcome",),
    )
    for outcome, count in result["label_outcomes"].items():
        outcomes.add_metric([outcome], float(count))
    return bool(result["retrain"]), [quality, labelled, scored, below, bar, outcomes]


def drift_families(result: dict) -> tuple[bool, list[GaugeMetricFamily]]:
    """The series of reports/drift.json (monitoring/drift/compare.py's DriftResult)."""
    features = len(result["features"])
    drifted = GaugeMetricFamily(
        "model_drifted_features_ratio",
        "Share of the features that drifted in the latest batch checked",
    )
    drifted.add_metric([], len(result["drifted_features"]) / features if features else 0.0)
    rows = GaugeMetricFamily("model_drift_batch_rows", "Rows of the latest batch checked")
    rows.add_metric([], float(result["batch_rows"]))
    return bool(result["drift"]), [drifted, rows]
