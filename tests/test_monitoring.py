"""The generated monitoring: Prometheus' configuration and rules pass promtool's checks and the
rule tests beside them, every alert has a test, and the Grafana dashboard reads only series
that exist: recorded by the rules, or exposed by the service."""

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.baking import bake_into, package_of
from tests.commands import require_tool

PROMETHEUS = Path("deploy/prometheus")
DASHBOARDS = Path("deploy/grafana/dashboards")
DATASOURCES = Path("deploy/grafana/provisioning/datasources")
# The modules that declare the service's metrics: its own, and the monitoring results it shows.
METRIC_MODULES = ("serving/metrics.py", "serving/monitoring_metrics.py")
# A metric declared there, and the series each kind exposes.
DECLARED = re.compile(r"\b(Counter|Gauge|Histogram|GaugeMetricFamily)\(\s*\"(\w+)\"")
EXPOSED = {
    "Counter": ("_total",),
    "Gauge": ("",),
    "Histogram": ("_bucket", "_sum", "_count"),
    "GaugeMetricFamily": ("",),
}
# Names in a PromQL expression that are series: recorded ones hold a colon, the service's start
# with serving_, the monitoring results' with model_live, model_drift, model_retrain or
# monitoring_ (not model_version, a label), and Prometheus' own is `up`.
SERIES = re.compile(
    r"\b(?:[a-z_]+:[a-z0-9_:]+|serving_[a-z0-9_]+|model_(?:live|drift|retrain)[a-z0-9_]*"
    r"|monitoring_[a-z0-9_]+|up)\b"
)


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return bake_into(tmp_path_factory.mktemp("monitoring"))


def promtool(project: Path, *arguments: str) -> subprocess.CompletedProcess:
    require_tool("promtool", "it checks and tests the generated Prometheus rules")
    return subprocess.run(
        ["promtool", *arguments], cwd=project / PROMETHEUS, capture_output=True, text=True
    )


def rules(project: Path) -> list[dict]:
    groups = yaml.safe_load((project / PROMETHEUS / "rules.yml").read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def test_promtool_checks_the_configuration_and_its_rules(project):
    result = promtool(project, "check", "config", "prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 1 rule files found" in result.stdout


def test_the_rules_pass_their_tests(project):
    result = promtool(project, "test", "rules", "rules_test.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_has_a_test_that_fires_it(project):
    alerts = {rule["alert"] for rule in rules(project) if "alert" in rule}
    cases = yaml.safe_load((project / PROMETHEUS / "rules_test.yml").read_text())["tests"]
    fired = {
        check["alertname"]
        for case in cases
        for check in case.get("alert_rule_test", [])
        if check["exp_alerts"]
    }
    assert alerts
    assert sorted(alerts - fired) == []


def exposed(project: Path) -> set[str]:
    """The series the service exposes."""
    package = project / "src" / package_of(project)
    declared = "".join((package / module).read_text() for module in METRIC_MODULES)
    return {name + suffix for kind, name in DECLARED.findall(declared) for suffix in EXPOSED[kind]}


def test_the_rules_read_series_that_exist(project):
    recorded = {rule["record"] for rule in rules(project) if "record" in rule}
    read = {name for rule in rules(project) for name in SERIES.findall(rule["expr"])}
    assert {"model_live_quality_below_bar", "monitoring_report_timestamp_seconds"} <= read
    assert sorted(read - recorded - exposed(project) - {"up"}) == []


def test_the_dashboard_reads_series_that_exist(project):
    series = exposed(project)
    recorded = {rule["record"] for rule in rules(project) if "record" in rule}
    uids = {
        source["uid"]
        for path in (project / DATASOURCES).glob("*.yml")
        for source in yaml.safe_load(path.read_text())["datasources"]
    }
    dashboards = list((project / DASHBOARDS).glob("*.json"))
    assert dashboards
    for path in dashboards:
        panels = json.loads(path.read_text())["panels"]
        for panel in panels:
            assert panel["datasource"]["uid"] in uids, (path.name, panel["title"])
            for target in panel["targets"]:
                read = set(SERIES.findall(target["expr"]))
                assert read, (path.name, panel["title"])
                assert sorted(read - recorded - series - {"up"}) == [], panel["title"]
