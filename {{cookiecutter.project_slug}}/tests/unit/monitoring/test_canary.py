"""The canary analysis on the exposition text the service's own metrics produce."""

import json
import re
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.core.config import CanaryParams
from {{ cookiecutter.package_name }}.core.errors import ProjectError
from {{ cookiecutter.package_name }}.monitoring.ab import ABResult, Arm, Comparison, Improvement
from {{ cookiecutter.package_name }}.monitoring.canary import (
    PROMOTE,
    ROLL_BACK,
    WAIT,
    Window,
    analyse,
    parse_exposition,
    quantile,
    window_between,
)
from {{ cookiecutter.package_name }}.serving.metrics import ServingMetrics

SLO = CanaryParams(
    window_seconds=60,
    min_requests=50,
    max_error_ratio=0.01,
    max_error_ratio_increase=0.005,
    max_p95_latency_seconds=0.5,
    max_latency_ratio=2.0,
)
STABLE, CANARY = "1", "2"


class Service:
    """The service's metrics with version 1 as champion and 2 as challenger, read at the start
    of the window; `serve` records requests as the app does."""

    def __init__(self, before: int = 30):
        self.metrics = ServingMetrics()
        self.metrics.mark_loaded(STABLE, "champion")
        self.metrics.mark_loaded(CANARY, "challenger")
        # Traffic before the window, which the analysis must not count.
        self.serve(CANARY, before, failed=before, seconds=3.0)
        self.serve(STABLE, before, failed=before, seconds=3.0)
        self.start = self.read()

    def read(self):
        return parse_exposition(self.metrics.exposition().decode())

    def serve(self, version: str, requests: int, failed: int = 0, seconds: float = 0.003):
        served = self.metrics.for_version(version, "served")
        for number in range(requests):
            served.requests.inc()
            if number < failed:
                served.server_errors.inc()
            else:
                served.latency.observe(seconds)
        # Rejected input never reaches the model, and shadow scoring answers no caller: neither
        # is the version's record.
        served.requests.inc()
        served.client_errors.inc()
        self.metrics.for_version(version, "shadow").server_errors.inc(requests)

    def window(self) -> Window:
        return window_between(self.start, self.read(), 60, "test")


def test_a_clean_window_with_enough_requests_promotes_the_canary(tmp_path):
    service = Service()
    service.serve(STABLE, 400, failed=2)
    service.serve(CANARY, 100, failed=0)
    analysis = analyse(service.window(), SLO, tmp_path / "ab.json")
    assert analysis.decision == PROMOTE
    assert analysis.breaches == ()
    assert (analysis.canary.version, analysis.canary.requests) == (CANARY, 100)
    assert analysis.stable.requests == 400
    assert analysis.stable.error_ratio == pytest.approx(2 / 400)
    # Every request took 3 ms, in the bucket from 2 to 5 ms: Prometheus interpolates within it.
    assert analysis.canary.p95_seconds == pytest.approx(0.002 + 0.003 * 0.95)
    assert analysis.canary.p50_seconds == pytest.approx(0.002 + 0.003 * 0.5)
    assert analysis.labelled == f"no labelled verdict ({tmp_path / 'ab.json'} does not exist)"
    assert analysis.summary().startswith(
        "canary: promote: a clean window of 100 requests on the canary\n"
        "  canary version 2: 100 requests, 0 server errors (0.00%), p50 0.0035 s, p95 0.00485 s"
    )


def test_errors_over_the_limits_roll_back_naming_each_breach(tmp_path):
    service = Service()
    service.serve(STABLE, 400, failed=0)
    service.serve(CANARY, 100, failed=3)
    analysis = analyse(service.window(), SLO, tmp_path / "ab.json")
    assert analysis.decision == ROLL_BACK
    assert [breach.text for breach in analysis.breaches] == [
        "error ratio 3.00% is over max_error_ratio 1.00%",
        "error ratio 3.00% is 3.00% over the stable's 0.00%, more than "
        "max_error_ratio_increase 0.50%",
    ]
    assert analysis.reason == "2 breaches of the SLO"


def test_a_failure_rolls_back_however_few_the_requests(tmp_path):
    service = Service()
    service.serve(STABLE, 100)
    service.serve(CANARY, 2, failed=1)
    assert analyse(service.window(), SLO, tmp_path / "ab.json").decision == ROLL_BACK


def test_a_slower_canary_rolls_back_against_the_stable_and_the_bar(tmp_path):
    service = Service()
    service.serve(STABLE, 200, seconds=0.003)
    service.serve(CANARY, 100, seconds=0.8)
    analysis = analyse(service.window(), SLO, tmp_path / "ab.json")
    assert analysis.decision == ROLL_BACK
    measures = {breach.measure: breach for breach in analysis.breaches}
    assert set(measures) == {"p95_latency_seconds", "latency_ratio"}
    assert measures["p95_latency_seconds"].value == pytest.approx(0.5 + 0.5 * 0.95)
    assert measures["latency_ratio"].value == pytest.approx(0.975 / 0.00485)
    assert measures["latency_ratio"].text.startswith("p95 latency 0.975 s is 201.03 times")


def test_too_few_requests_on_a_sound_canary_waits(tmp_path):
    service = Service()
    service.serve(STABLE, 400)
    service.serve(CANARY, 49)
    analysis = analyse(service.window(), SLO, tmp_path / "ab.json")
    assert analysis.decision == WAIT
    assert "49 requests, fewer than min_requests 50" in analysis.reason


def test_without_stable_traffic_only_the_absolute_limits_apply(tmp_path):
    service = Service()
    service.serve(CANARY, 60, seconds=0.2)
    analysis = analyse(service.window(), SLO, tmp_path / "ab.json")
    assert (analysis.decision, analysis.stable) == (PROMOTE, None)
    assert "stable: no requests to compare" in analysis.summary()


def ab_report(
    path: Path, version: str, low: float | None, high: float | None, estimate: float | None = 0
) -> Path:
    """The A/B decision `make ab-report` writes, with the challenger's arm on `version`."""
    arms = {"champion": Arm(STABLE, 300, 0.9), "challenger": Arm(version, 300, 0.85)}
    improvement = Improvement(estimate, low, high)
    comparison = Comparison("bootstrap", arms, improvement, "keep", None, "the numbers")
    result = ABResult(
        log="logs/predictions.jsonl",
        window_start="2026-06-01T00:00:00+00:00",
        window_end="2026-06-08T00:00:00+00:00",
        primary_metric="accuracy",
        greater_is_better=True,
        confidence=0.95,
        min_effect=0.01,
        min_labels_per_arm=100,
        design="canary",
        comparison=comparison,
        shadow=None,
    )
    path.write_text(result.to_json())
    return path


def test_a_canary_worse_on_labels_rolls_back_when_the_report_is_its_own(tmp_path):
    service = Service()
    service.serve(STABLE, 400)
    service.serve(CANARY, 100)
    window = service.window()
    worse = analyse(window, SLO, ab_report(tmp_path / "ab.json", CANARY, -0.08, -0.01, -0.045))
    assert worse.decision == ROLL_BACK
    assert worse.breaches[0].text == (
        f"labelled quality: accuracy improvement -0.045 [-0.08, -0.01] is below zero "
        f"({tmp_path / 'ab.json'})"
    )
    unsure = analyse(window, SLO, ab_report(tmp_path / "ab.json", CANARY, -0.08, 0.01))
    assert unsure.decision == PROMOTE
    assert "not worse" in unsure.labelled
    another = analyse(window, SLO, ab_report(tmp_path / "ab.json", "7", -0.08, -0.01))
    assert another.decision == PROMOTE
    assert another.labelled == (
        f"no labelled verdict ({tmp_path / 'ab.json'} is for version 7, not {CANARY})"
    )
    unmeasured = ab_report(tmp_path / "ab.json", CANARY, None, None, estimate=None)
    assert analyse(window, SLO, unmeasured).labelled.endswith("has no interval yet)")


def test_a_malformed_ab_report_is_refused_by_name(tmp_path):
    service = Service()
    service.serve(CANARY, 60)
    window = service.window()
    report = tmp_path / "ab.json"
    for text, problem in (
        ("not json", "JSONDecodeError"),
        ('{"arms": {"challenger": {}}}', "KeyError: 'model_version'"),
    ):
        report.write_text(text)
        refusal = re.escape(f"{report}: not an A/B decision ({problem}")
        with pytest.raises(ProjectError, match=refusal):
            analyse(window, SLO, report)


def test_the_reports_carry_the_decision_and_its_numbers(tmp_path):
    service = Service()
    service.serve(STABLE, 400)
    service.serve(CANARY, 100, failed=5)
    analysis = analyse(service.window(), SLO, tmp_path / "ab.json")
    record = json.loads(analysis.to_json())
    assert record["decision"] == ROLL_BACK
    assert record["canary"]["server_errors"] == 5
    assert record["slo"]["max_error_ratio"] == 0.01
    assert [breach["measure"] for breach in record["breaches"]] == [
        "error_ratio",
        "error_ratio_increase",
    ]
    markdown = analysis.to_markdown()
    assert markdown.startswith("# Canary analysis: roll back\n")
    assert "| canary | 2 | 100 | 5 | 5.00% |" in markdown


def test_versions_are_named_when_no_role_tells_the_canary(tmp_path):
    metrics = ServingMetrics()
    for version in (STABLE, CANARY):
        metrics.mark_loaded(version, "champion")
    start = parse_exposition(metrics.exposition().decode())
    for version in (STABLE, CANARY):
        served = metrics.for_version(version, "served")
        served.requests.inc(60)
        served.latency.observe(0.003)
    window = window_between(start, parse_exposition(metrics.exposition().decode()), 60, "test")
    with pytest.raises(ProjectError, match="name it with --canary-version"):
        analyse(window, SLO, tmp_path / "ab.json")
    named = analyse(window, SLO, tmp_path / "ab.json", canary_version=CANARY, stable_version=STABLE)
    assert (named.canary.version, named.stable.version) == (CANARY, STABLE)


def test_a_restart_during_the_window_is_refused():
    service = Service()
    service.metrics = ServingMetrics()
    # Fewer requests since the restart than before the window.
    service.serve(CANARY, 5)
    with pytest.raises(ProjectError, match="version 2's counters went down"):
        service.window()


def test_quantiles_follow_prometheus():
    # 10 observations up to 1 s, 10 more up to 2 s, none above.
    buckets = {1.0: 10, 2.0: 20, float("inf"): 20}
    assert quantile(0.5, buckets) == 1.0
    assert quantile(0.75, buckets) == 1.5
    # In the +Inf bucket: the highest finite bound.
    assert quantile(0.95, {1.0: 10, float("inf"): 20}) == 1.0
    assert quantile(0.95, {1.0: 0, float("inf"): 0}) is None
