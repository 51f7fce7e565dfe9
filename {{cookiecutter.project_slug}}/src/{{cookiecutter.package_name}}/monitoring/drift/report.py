"""A self-contained HTML page: the decision, every feature's tests, a plot per drifted feature."""

import base64
import io
from html import escape

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from {{ cookiecutter.package_name }}.monitoring.drift.compare import (
    DriftResult,
    FeatureDrift,
    Signal,
    contingency_table,
)
from {{ cookiecutter.package_name }}.monitoring.drift.profile import (
    CategoricalProfile,
    FeatureProfile,
    NumericProfile,
    ReferenceProfile,
)

REFERENCE_COLOUR = "#4c72b0"
BATCH_COLOUR = "#dd8452"
HISTOGRAM_BINS = 30
# Each panel's width in inches; a figure is as wide as its panels.
PANEL_WIDTHS = {"density": 4.5, "cumulative": 4.5, "bars": 6.0, "missing": 2.4}
FIGURE_HEIGHT = 3.2

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 70rem; color: #222; }
.verdict { font-size: 1.2rem; padding: 0.8rem 1rem; border-radius: 0.4rem; }
.drift { background: #fde2e1; border: 1px solid #c0392b; }
.steady { background: #e3f4e1; border: 1px solid #2e7d32; }
table { border-collapse: collapse; font-size: 0.9rem; }
th, td { padding: 0.25rem 0.6rem; border-bottom: 1px solid #ddd; text-align: right;
         white-space: nowrap; }
.text { text-align: left; }
tr.drifted { background: #fde2e1; font-weight: 600; }
figure { margin: 1.5rem 0; }
img { max-width: 100%; }
"""


def render_html(result: DriftResult, profile: ReferenceProfile, batch: pd.DataFrame) -> str:
    """Return the report page, with every plot embedded as a PNG."""
    tests = {feature.feature: feature for feature in result.features}
    plots = "\n".join(
        _figure(tests[name], profile.features[name], batch[name])
        for name in result.drifted_features
    )
    verdict_class = "drift" if result.drift else "steady"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Drift report: {escape(result.batch)}</title>
<style>{STYLE}</style>
</head>
<body>
<h1>Drift report</h1>
<p class="verdict {verdict_class}">{escape(result.summary())}</p>
<p>Batch: {result.batch_rows} rows of <code>{escape(result.batch)}</code>.
Reference: {result.reference_rows} rows of <code>{escape(result.reference)}</code>
({profile.sample_rows} kept for the tests).
Each feature's values are tested (Kolmogorov-Smirnov for numbers, chi-squared for categories
and booleans), and so is its share of missing values (Fisher's exact test). A feature drifts
when a test's p-value, adjusted for the {result.tests_run()} tests that had something to
compare (Benjamini-Hochberg), is below {result.p_value} and its effect size reaches the
minimum.</p>
<h2>Drifted features</h2>
{plots or "<p>None.</p>"}
<h2>Every feature</h2>
{_table(result.features)}
</body>
</html>
"""


def _table(features: list[FeatureDrift]) -> str:
    header = (
        "<tr><th rowspan='2' class='text'>feature</th><th rowspan='2' class='text'>kind</th>"
        "<th colspan='7'>values</th><th colspan='4'>missing share</th>"
        "<th rowspan='2' class='text'>drifted</th></tr>"
        "<tr><th class='text'>test</th><th>effect size</th><th>minimum</th><th>p-value</th>"
        "<th>adjusted p-value</th><th>reference mean</th><th>batch mean</th>"
        "<th>reference</th><th>batch</th><th>p-value</th><th>adjusted p-value</th></tr>"
    )
    rows = [
        f'<tr class="{"drifted" if feature.drifted else ""}">'
        f"<td class='text'>{escape(feature.feature)}</td><td class='text'>{feature.kind}</td>"
        f"<td class='text'>{_test_name(feature.values)}</td>"
        f"<td>{_number(feature.values.effect_size, '.3f')}</td>"
        f"<td>{feature.values.min_effect_size}</td>{_p_values(feature.values)}"
        f"<td>{_number(feature.reference_mean)}</td><td>{_number(feature.batch_mean)}</td>"
        f"<td>{feature.reference_missing_share:.1%}</td><td>{feature.batch_missing_share:.1%}</td>"
        f"{_p_values(feature.missing)}<td class='text'>{_drifted(feature)}</td></tr>"
        for feature in features
    ]
    return "<table>\n" + "\n".join([header, *rows]) + "\n</table>"


def _test_name(signal: Signal) -> str:
    return f"{signal.test} ({escape(signal.note)})" if signal.note else signal.test


def _p_values(signal: Signal) -> str:
    return "".join(
        f"<td>{_number(p_value, '.2e')}</td>"
        for p_value in (signal.p_value, signal.adjusted_p_value)
    )


def _drifted(feature: FeatureDrift) -> str:
    signals = feature.signals().items()
    return ", ".join(name for name, signal in signals if signal.drifted) or "no"


def _number(value: float | None, spec: str = ".4g") -> str:
    return "" if value is None else format(value, spec)


def _figure(test: FeatureDrift, reference: FeatureProfile, values: pd.Series) -> str:
    """Both distributions of the values, when both sides have some, and the missing shares,
    when either side has missing values."""
    present = values.dropna()
    panels = []
    if _has_values(reference) and len(present):
        panels += ["density", "cumulative"] if isinstance(reference, NumericProfile) else ["bars"]
    if test.reference_missing_share or test.batch_missing_share:
        panels.append("missing")
    widths = [PANEL_WIDTHS[panel] for panel in panels]
    figure = Figure(figsize=(sum(widths), FIGURE_HEIGHT), layout="constrained")
    row = figure.subplots(1, len(panels), width_ratios=widths, squeeze=False)[0]
    axes = dict(zip(panels, row, strict=True))
    if "density" in axes:
        _draw_numeric(axes["density"], axes["cumulative"], reference, present.astype(float))
    if "bars" in axes:
        _draw_categorical(axes["bars"], reference, present)
    if "missing" in axes:
        _draw_missing(axes["missing"], test)
    figure.suptitle(test.feature)
    caption = "; ".join(
        f"{name}: {signal.test} effect size {signal.effect_size:.3f} (minimum "
        f"{signal.min_effect_size}), adjusted p-value {signal.adjusted_p_value:.2e}"
        for name, signal in test.signals().items()
        if signal.drifted
    )
    return (
        f'<figure id="{escape(test.feature)}"><img alt="{escape(test.feature)}: reference and '
        f'batch distributions" src="data:image/png;base64,{_png(figure)}">'
        f"<figcaption>{escape(test.feature)}: {caption}</figcaption></figure>"
    )


def _has_values(reference: FeatureProfile) -> bool:
    return bool(reference.sample if isinstance(reference, NumericProfile) else reference.counts)


def _draw_numeric(density, cumulative, reference: NumericProfile, values: pd.Series) -> None:
    edges = np.histogram_bin_edges(np.concatenate([reference.sample, values]), bins=HISTOGRAM_BINS)
    for data, label, colour in (
        (reference.sample, "reference", REFERENCE_COLOUR),
        (values, "batch", BATCH_COLOUR),
    ):
        density.hist(data, bins=edges, density=True, alpha=0.5, color=colour, label=label)
        cumulative.ecdf(data, color=colour, label=label)
    density.set(title="distribution", xlabel="value", ylabel="density")
    density.legend()
    # The Kolmogorov-Smirnov distance is the widest vertical gap between the two curves.
    grid = np.sort(np.concatenate([reference.sample, values]))
    reference_share, batch_share = _ecdf(reference.sample, grid), _ecdf(values, grid)
    widest = int(np.argmax(np.abs(reference_share - batch_share)))
    gap = sorted((reference_share[widest], batch_share[widest]))
    distance = gap[1] - gap[0]
    cumulative.vlines(
        grid[widest], *gap, color="black", linestyle="--", label=f"KS distance {distance:.2f}"
    )
    cumulative.set(
        title="cumulative distribution", xlabel="value", ylabel="share of rows at or below"
    )
    cumulative.legend(loc="lower right")


def _ecdf(sample, grid: np.ndarray) -> np.ndarray:
    """Return the share of the sample at or below each point of the grid."""
    return np.searchsorted(np.sort(sample), grid, side="right") / len(sample)


def _draw_categorical(axes, reference: CategoricalProfile, values: pd.Series) -> None:
    categories, table = contingency_table(reference, values)
    shares = table / table.sum(axis=1, keepdims=True)
    positions = np.arange(len(categories))
    for offset, row, label, colour in (
        (-0.2, shares[0], "reference", REFERENCE_COLOUR),
        (0.2, shares[1], "batch", BATCH_COLOUR),
    ):
        axes.bar(positions + offset, row, width=0.4, color=colour, label=label)
    axes.set_xticks(positions, categories)
    axes.set(title="share of rows per value", ylabel="share")
    axes.legend()


def _draw_missing(axes, test: FeatureDrift) -> None:
    shares = (test.reference_missing_share, test.batch_missing_share)
    axes.bar(["reference", "batch"], shares, color=[REFERENCE_COLOUR, BATCH_COLOUR])
    axes.set(title="missing values", ylabel="share of rows", ylim=(0, 1))


def _png(figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90)
    return base64.b64encode(buffer.getvalue()).decode("ascii")
