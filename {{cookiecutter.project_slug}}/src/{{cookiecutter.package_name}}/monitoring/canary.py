"""Canary analysis: the canary against the stable version over one window of live traffic.

Each version is measured on the requests that reached its model (mode=served; rejected input
is the caller's error, not the model's): how many, the share that ended in a server error, and
its median and 95th-percentile latency, from the increase of the service's counters and latency
histogram over the window. The measures come from the service's /metrics, read at the start and
at the end of the window (one service serving both versions, SERVING_ROLLOUT=canary), or from
Prometheus over the window that just ended (the tracks are separate pods, each scraped). The
canary is rolled back on any breach of the SLO in params.yaml (`canary`), promoted after a clean
window of enough requests, and otherwise waited for.
"""

import json
import math
import time
import urllib.parse
import urllib.request
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from {{ cookiecutter.package_name }}.core.config import CanaryParams
from {{ cookiecutter.package_name }}.core.errors import ProjectError
from {{ cookiecutter.package_name }}.registry.aliases import CHALLENGER, CHAMPION

PROMOTE = "promote"
ROLL_BACK = "roll back"
WAIT = "wait"
SERVED = "served"
REQUEST_TIMEOUT_SECONDS = 10
# urllib also opens file: and ftp: addresses; the service and Prometheus are reached over HTTP.
HTTP_SCHEMES = ("http", "https")


@dataclass
class Counts:
    """One version's counters (served mode): requests, server errors and the latency
    histogram's cumulative bucket counts by upper bound."""

    requests: float = 0.0
    server_errors: float = 0.0
    buckets: dict[float, float] = field(default_factory=dict)

    def add_error(self, kind: str, count: float) -> None:
        """A server error counts against the version; rejected input (kind=client) never
        reached its model, so it is not one of its requests either."""
        if kind == "server":
            self.server_errors += count
        else:
            self.requests -= count

    def minus(self, start: "Counts", version: str) -> "Counts":
        """The increase since `start`; a counter that went down means the service restarted."""
        counts = Counts(
            self.requests - start.requests,
            self.server_errors - start.server_errors,
            {le: count - start.buckets.get(le, 0.0) for le, count in self.buckets.items()},
        )
        if min([counts.requests, counts.server_errors, *counts.buckets.values()]) < 0:
            raise ProjectError(
                f"version {version}'s counters went down during the window: the service "
                "restarted, so the window has no single start; run the analysis again"
            )
        return counts


@dataclass(frozen=True)
class Snapshot:
    """What one read of /metrics says: each version's counters, and the loaded versions' roles."""

    counts: dict[str, Counts]
    roles: dict[str, str]


def parse_exposition(text: str) -> Snapshot:
    """The served-mode counters per model version, and each loaded version's role, from the
    Prometheus text format the service exposes on /metrics."""
    counts: dict[str, Counts] = defaultdict(Counts)
    roles = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = sample.labels
            version = labels.get("model_version")
            if sample.name == "serving_model_loaded" and sample.value >= 1:
                roles[version] = labels["role"]
            if version is None or labels.get("mode") != SERVED:
                continue
            if sample.name == "serving_requests_total":
                counts[version].requests += sample.value
            elif sample.name == "serving_errors_total":
                counts[version].add_error(labels["kind"], sample.value)
            elif sample.name == "serving_latency_seconds_bucket":
                le = float(labels["le"])
                buckets = counts[version].buckets
                buckets[le] = buckets.get(le, 0.0) + sample.value
    return Snapshot(dict(counts), roles)


def quantile(q: float, buckets: dict[float, float]) -> float | None:
    """The q-quantile of a histogram from its cumulative bucket counts, as Prometheus's
    histogram_quantile computes it: linear within the bucket it falls in, the highest finite
    bound when it falls in the last (+Inf) one. None without observations."""
    bounds = sorted(buckets)
    total = buckets[bounds[-1]] if bounds else 0.0
    if total <= 0:
        return None
    rank = q * total
    lower, below = 0.0, 0.0
    for bound in bounds:
        count = buckets[bound]
        if count >= rank:
            if math.isinf(bound):
                return lower
            if count == below:
                return bound
            return lower + (bound - lower) * (rank - below) / (count - below)
        lower, below = bound, count
    return lower


@dataclass(frozen=True)
class Measures:
    """One version over the window. A ratio or latency is None when it answered nothing."""

    version: str
    requests: float
    server_errors: float
    error_ratio: float | None
    p50_seconds: float | None
    p95_seconds: float | None

    @classmethod
    def of(cls, version: str, counts: Counts) -> "Measures":
        requests = counts.requests
        return cls(
            version=version,
            requests=requests,
            server_errors=counts.server_errors,
            error_ratio=counts.server_errors / requests if requests > 0 else None,
            p50_seconds=quantile(0.5, counts.buckets),
            p95_seconds=quantile(0.95, counts.buckets),
        )

    def line(self) -> str:
        return (
            f"version {self.version}: {self.requests:g} requests, "
            f"{self.server_errors:g} server errors ({_percent(self.error_ratio)}), "
            f"p50 {_seconds(self.p50_seconds)}, p95 {_seconds(self.p95_seconds)}"
        )


@dataclass(frozen=True)
class Window:
    """The measured window: each version's counters over it, and the roles they were loaded in."""

    counts: dict[str, Counts]
    roles: dict[str, str]
    seconds: float
    source: str


def scrape(url: str) -> Snapshot:
    return parse_exposition(_get(url.rstrip("/") + "/metrics"))


def service_window(url: str, seconds: float) -> Window:
    """Read the service's /metrics, wait `seconds`, read it again: the increase between."""
    start = scrape(url)
    time.sleep(seconds)
    return window_between(start, scrape(url), seconds, f"{url}/metrics")


def window_between(start: Snapshot, end: Snapshot, seconds: float, source: str) -> Window:
    """The increase of each version's counters from one read of /metrics to a later one."""
    counts = {
        version: now.minus(start.counts.get(version, Counts()), version)
        for version, now in end.counts.items()
    }
    return Window(counts, end.roles, seconds, source)


def prometheus_window(url: str, seconds: float) -> Window:
    """The window that just ended, from Prometheus's HTTP API: the increase of each counter
    and latency bucket, summed over the pods that serve each version."""
    span = f"[{int(seconds)}s]"
    served = _selector(mode=SERVED)
    counts: dict[str, Counts] = defaultdict(Counts)
    requests = f"sum by (model_version) (increase(serving_requests_total{served}{span}))"
    for labels, value in _query(url, requests):
        counts[labels["model_version"]].requests = value
    errors = f"sum by (model_version, kind) (increase(serving_errors_total{served}{span}))"
    # After the requests, which rejected input is taken from.
    for labels, value in _query(url, errors):
        counts[labels["model_version"]].add_error(labels["kind"], value)
    latency = f"sum by (model_version, le) (increase(serving_latency_seconds_bucket{served}{span}))"
    for labels, value in _query(url, latency):
        counts[labels["model_version"]].buckets[float(labels["le"])] = value
    loaded = f"max by (model_version, role) (max_over_time(serving_model_loaded{span}))"
    roles = {
        labels["model_version"]: labels["role"]
        for labels, value in _query(url, loaded)
        if value >= 1
    }
    return Window(dict(counts), roles, seconds, f"Prometheus at {url}")


def _selector(**labels: str) -> str:
    return "{" + ", ".join(f'{name}="{value}"' for name, value in labels.items()) + "}"


def _query(url: str, promql: str) -> list[tuple[dict[str, str], float]]:
    address = url.rstrip("/") + "/api/v1/query?" + urllib.parse.urlencode({"query": promql})
    answer = json.loads(_get(address))
    if answer.get("status") != "success":
        raise ProjectError(f"Prometheus at {url} refused {promql}: {answer.get('error')}")
    return [(item["metric"], float(item["value"][1])) for item in answer["data"]["result"]]


def _get(url: str) -> str:
    if urllib.parse.urlsplit(url).scheme not in HTTP_SCHEMES:
        raise ProjectError(f"{url}: not an http(s) address")
    try:
        # B310 (file: and custom schemes): only HTTP_SCHEMES reach here.
        with urllib.request.urlopen(url, timeout=REQUEST_TIMEOUT_SECONDS) as answer:  # nosec B310
            return answer.read().decode()
    except OSError as error:
        raise ProjectError(f"{url}: no answer ({error}); is the service running there?") from None


def pick_versions(
    window: Window, canary: str | None = None, stable: str | None = None
) -> tuple[str, str | None]:
    """The canary's and the stable version: as given, else by the role each is loaded in (the
    challenger is the canary). The stable is None when it answered nothing to compare with."""
    if canary is None:
        challengers = sorted(v for v, role in window.roles.items() if role == CHALLENGER)
        if len(challengers) != 1:
            loaded = ", ".join(f"{v} ({role})" for v, role in sorted(window.roles.items()))
            raise ProjectError(
                f"{window.source}: cannot tell the canary from the loaded versions "
                f"({loaded or 'none'}): name it with --canary-version (and the stable one "
                "with --stable-version), as where each track is a service of its own"
            )
        canary = challengers[0]
    if stable is None:
        others = sorted(v for v, role in window.roles.items() if role == CHAMPION and v != canary)
        stable = others[0] if len(others) == 1 else None
    return canary, stable


@dataclass(frozen=True)
class Breach:
    """A limit the canary went past: over an upper limit, or for labelled quality the upper end
    of the improvement's interval under zero."""

    measure: str
    value: float
    limit: float
    text: str


@dataclass(frozen=True)
class LabelledVerdict:
    """What the A/B report says of the canary's labelled quality, and the breach if it is worse."""

    text: str
    breach: Breach | None = None


def labelled_verdict(ab_report: Path, canary: str) -> LabelledVerdict:
    """The A/B decision's verdict when its challenger is the canary's version: a breach when the
    improvement's whole interval is below zero (worse, with the decision's confidence)."""
    if not ab_report.exists():
        return LabelledVerdict(f"no labelled verdict ({ab_report} does not exist)")
    try:
        report = json.loads(ab_report.read_text())
        challenger = report["arms"][CHALLENGER]["model_version"]
        metric, improvement = report["primary_metric"], report["improvement"]
        estimate, low, high = (improvement[key] for key in ("estimate", "low", "high"))
    except (ValueError, KeyError, TypeError) as error:
        raise ProjectError(
            f"{ab_report}: not an A/B decision ({type(error).__name__}: {error}); write it again "
            "with `make ab-report`, or remove it"
        ) from None
    if str(challenger) != canary:
        return LabelledVerdict(
            f"no labelled verdict ({ab_report} is for version {challenger}, not {canary})"
        )
    if high is None:
        return LabelledVerdict(f"no labelled verdict ({ab_report} has no interval yet)")
    interval = f"{metric} improvement {estimate:+.4g} [{low:+.4g}, {high:+.4g}]"
    if high < 0:
        text = f"labelled quality: {interval} is below zero ({ab_report})"
        return LabelledVerdict(text, Breach("labelled_quality", high, 0.0, text))
    return LabelledVerdict(f"labelled quality: {interval}, not worse ({ab_report})")


@dataclass(frozen=True)
class Analysis:
    decision: str
    reason: str
    canary: Measures
    stable: Measures | None
    breaches: tuple[Breach, ...]
    labelled: str
    slo: CanaryParams
    window_seconds: float
    source: str

    def summary(self) -> str:
        lines = [f"canary: {self.decision}: {self.reason}", f"  canary {self.canary.line()}"]
        lines.append(
            f"  stable {self.stable.line()}" if self.stable else "  stable: no requests to compare"
        )
        lines += [f"  breach: {breach.text}" for breach in self.breaches]
        lines.append(f"  {self.labelled}")
        lines.append(f"  window: {self.window_seconds:g} s of {self.source}")
        return "\n".join(lines)

    def to_json(self) -> str:
        record = asdict(self)
        record["slo"] = self.slo.model_dump()
        return json.dumps(record, indent=2) + "\n"

    def to_markdown(self) -> str:
        rows = [self.canary, *([self.stable] if self.stable else [])]
        table = [
            "| Track | Version | Requests | Server errors | Error ratio | p50 | p95 |",
            "|---|---|---:|---:|---:|---:|---:|",
        ] + [
            f"| {track} | {m.version} | {m.requests:g} | {m.server_errors:g} | "
            f"{_percent(m.error_ratio)} | {_seconds(m.p50_seconds)} | {_seconds(m.p95_seconds)} |"
            for track, m in zip(("canary", "stable"), rows, strict=False)
        ]
        breaches = [f"- {breach.text}" for breach in self.breaches] or ["- none"]
        slo = [f"- `{name}`: {value:g}" for name, value in self.slo.model_dump().items()]
        return "\n".join(
            [
                f"# Canary analysis: {self.decision}",
                "",
                self.reason,
                "",
                f"Window: {self.window_seconds:g} s of {self.source}.",
                "",
                *table,
                "",
                "## Breaches",
                "",
                *breaches,
                "",
                "## Labelled quality",
                "",
                self.labelled,
                "",
                "## SLO (params.yaml `canary`)",
                "",
                *slo,
                "",
            ]
        )


def breaches(canary: Measures, stable: Measures | None, slo: CanaryParams) -> list[Breach]:
    """Each limit of the SLO the canary went past, with the measured value and the limit."""
    ratio, p95 = canary.error_ratio, canary.p95_seconds
    checks = []
    if ratio is not None:
        limit = slo.max_error_ratio
        text = f"error ratio {ratio:.2%} is over max_error_ratio {limit:.2%}"
        checks.append(Breach("error_ratio", ratio, limit, text))
    if p95 is not None:
        limit = slo.max_p95_latency_seconds
        text = f"p95 latency {p95:.4g} s is over max_p95_latency_seconds {limit:g} s"
        checks.append(Breach("p95_latency_seconds", p95, limit, text))
    # Against the stable track only where it answered requests in the same window.
    if stable is not None and ratio is not None and stable.error_ratio is not None:
        increase, limit = ratio - stable.error_ratio, slo.max_error_ratio_increase
        text = (
            f"error ratio {ratio:.2%} is {increase:.2%} over the stable's "
            f"{stable.error_ratio:.2%}, more than max_error_ratio_increase {limit:.2%}"
        )
        checks.append(Breach("error_ratio_increase", increase, limit, text))
    if stable is not None and p95 is not None and stable.p95_seconds:
        times, limit = p95 / stable.p95_seconds, slo.max_latency_ratio
        text = (
            f"p95 latency {p95:.4g} s is {times:.2f} times the stable's "
            f"{stable.p95_seconds:.4g} s, more than max_latency_ratio {limit:g}"
        )
        checks.append(Breach("latency_ratio", times, limit, text))
    return [check for check in checks if check.value > check.limit]


def analyse(
    window: Window,
    slo: CanaryParams,
    ab_report: Path,
    canary_version: str | None = None,
    stable_version: str | None = None,
) -> Analysis:
    """Decide: roll back on any breach, however few the requests; promote after a clean
    window with at least min_requests on the canary; otherwise wait for more traffic."""
    canary_version, stable_version = pick_versions(window, canary_version, stable_version)
    canary = Measures.of(canary_version, window.counts.get(canary_version, Counts()))
    stable_counts = window.counts.get(stable_version) if stable_version else None
    stable = (
        Measures.of(stable_version, stable_counts)
        if stable_version and stable_counts and stable_counts.requests > 0
        else None
    )
    found = breaches(canary, stable, slo)
    labelled = labelled_verdict(ab_report, canary_version)
    if labelled.breach:
        found.append(labelled.breach)
    if found:
        decision = ROLL_BACK
        reason = f"{len(found)} breach{'es' if len(found) > 1 else ''} of the SLO"
    elif canary.requests < slo.min_requests:
        decision = WAIT
        reason = (
            f"the canary answered {canary.requests:g} requests, fewer than min_requests "
            f"{slo.min_requests}: too few to promote it; analyse again after more traffic"
        )
    else:
        decision = PROMOTE
        reason = f"a clean window of {canary.requests:g} requests on the canary"
    return Analysis(
        decision=decision,
        reason=reason,
        canary=canary,
        stable=stable,
        breaches=tuple(found),
        labelled=labelled.text,
        slo=slo,
        window_seconds=window.seconds,
        source=window.source,
    )


def _percent(ratio: float | None) -> str:
    return "n/a" if ratio is None else f"{ratio:.2%}"


def _seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4g} s"
