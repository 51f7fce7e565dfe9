"""The latest monitoring results on /metrics, as the files `make live-quality` and `make drift`
write them: shown when present, left out when absent or unreadable, never an error."""

import logging
import os

import pytest
from prometheus_client.parser import text_string_to_metric_families

from {{ cookiecutter.package_name }}.monitoring.drift.compare import (
    DriftResult,
    FeatureDrift,
    Signal,
)
from {{ cookiecutter.package_name }}.monitoring.quality import LiveQuality, VersionQuality
from {{ cookiecutter.package_name }}.serving.metrics import ServingMetrics
from {{ cookiecutter.package_name }}.serving.monitoring_metrics import MonitoringResults

from tests.unit.serving.conftest import PARAMS, TASK

PRIMARY = PARAMS.gate.primary_metric
WRITTEN = 1_780_000_000  # when the results were written, in Unix time


def live_quality(champion: float, verdict: str) -> LiveQuality:
    """A result of a champion and a challenger in shadow, as `make live-quality` writes it."""
    others = dict.fromkeys((name for name in TASK.metrics if name != PRIMARY), 0.5)
    return LiveQuality(
        log="logs/predictions.jsonl",
        labels="logs/labels.jsonl",
        window_start="2026-05-25T12:00:00+00:00",
        window_end="2026-06-01T12:00:00+00:00",
        primary_metric=PRIMARY,
        worst_acceptable=0.75,
        min_labels=200,
        label_outcomes={"joined": 450, "late": 3, "duplicate": 1, "unknown": 2},
        versions=[
            VersionQuality("3", "champion", "served", 900, 450, {PRIMARY: champion, **others},
                           verdict),
            VersionQuality("4", "challenger", "shadow", 900, 1, {}, "too few labels"),
        ],
    )  # fmt: skip


def feature(name: str, drifted: bool) -> FeatureDrift:
    signal = Signal("ks", 0.3, 0.3, 0.1, 0.001, 0.002, drifted)
    return FeatureDrift(name, "numeric", drifted, signal, signal, 0.0, 0.0, 1.0, 2.0)


def drift(drifted: int, features: int) -> DriftResult:
    return DriftResult(
        batch="logs/predictions.jsonl",
        batch_rows=900,
        reference="data/profile.json",
        reference_rows=500,
        p_value=0.05,
        max_drifted_features=0,
        drift=drifted > 0,
        drifted_features=[f"f{i}" for i in range(drifted)],
        features=[feature(f"f{i}", i < drifted) for i in range(features)],
    )


def scraped(metrics: ServingMetrics) -> dict[tuple, float]:
    """The monitoring series of /metrics, by name and labels."""
    return {
        (sample.name, *sorted(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(metrics.exposition().decode())
        for sample in family.samples
        if sample.name.startswith(("model_", "monitoring_"))
    }


@pytest.fixture
def results(tmp_path) -> MonitoringResults:
    return MonitoringResults(tmp_path / "live_quality.json", tmp_path / "drift.json")


def write(path, text: str) -> None:
    path.write_text(text)
    os.utime(path, (WRITTEN, WRITTEN))


@pytest.mark.parametrize("workers", [False, True], ids=["one process", "several workers"])
def test_the_latest_results_are_shown_when_metrics_are_read(results, tmp_path, workers):
    (tmp_path / "workers").mkdir()
    metrics = ServingMetrics(tmp_path / "workers" if workers else None)
    metrics.expose(results)
    assert scraped(metrics) == {}

    write(results.live_quality, live_quality(0.6, "below the bar").to_json())
    write(results.drift, drift(drifted=1, features=4).to_json())
    series = scraped(metrics)
    champion = (("mode", "served"), ("model_version", "3"), ("role", "champion"))
    challenger = (("mode", "shadow"), ("model_version", "4"), ("role", "challenger"))
    assert series["model_live_quality", ("metric", PRIMARY), *champion] == 0.6
    assert series["model_live_labelled_rows", *champion] == 450
    assert series["model_live_scored_rows", *challenger] == 900
    assert series["model_live_quality_below_bar", *champion] == 1
    assert series["model_live_quality_below_bar", *challenger] == 0
    # A version with too few labels to measure has no quality series.
    assert [key for key in series if key[0] == "model_live_quality" and challenger[1] in key] == []
    assert series["model_live_quality_bar", ("metric", PRIMARY)] == 0.75
    assert series["model_live_labels", ("outcome", "late")] == 3
    assert series["model_retrain_due", ("reason", "live_quality")] == 1
    assert series["model_retrain_due", ("reason", "drift")] == 1
    assert series["model_drifted_features_ratio",] == 0.25
    assert series["model_drift_batch_rows",] == 900
    for report in ("live_quality", "drift"):
        assert series["monitoring_report_timestamp_seconds", ("report", report)] == WRITTEN

    # Read again at each scrape: a new result shows at once.
    write(results.live_quality, live_quality(0.9, "acceptable").to_json())
    write(results.drift, drift(drifted=0, features=4).to_json())
    series = scraped(metrics)
    assert series["model_live_quality", ("metric", PRIMARY), *champion] == 0.9
    assert series["model_retrain_due", ("reason", "live_quality")] == 0
    assert series["model_retrain_due", ("reason", "drift")] == 0
    metrics.close()


def test_a_malformed_result_shows_no_series_and_is_logged_once(results, tmp_path, caplog):
    metrics = ServingMetrics()
    metrics.expose(results)
    write(results.live_quality, '{"versions": [')
    write(results.drift, '{"drift": true}')
    with caplog.at_level(logging.WARNING):
        assert scraped(metrics) == {}
        assert scraped(metrics) == {}
    assert sorted(record.getMessage().split()[0] for record in caplog.records) == sorted(
        [str(results.live_quality), str(results.drift)]
    )
    # The other result still shows when one is malformed.
    write(results.drift, drift(drifted=0, features=2).to_json())
    assert scraped(metrics)["model_retrain_due", ("reason", "drift")] == 0
    assert ("model_retrain_due", ("reason", "live_quality")) not in scraped(metrics)
