"""A self-contained HTML page: the decision, every feature's test, a plot per drifted feature."""

import base64
import io
from html import escape

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from {{ cookiecutter.package_name }}.drift.compare import DriftResult, FeatureDrift, contingency_table
from {{ cookiecutter.package_name }}.drift.profile import (
    CategoricalProfile,
    FeatureProfile,
    NumericProfile,
    ReferenceProfile,
)

REFERENCE_COLOUR = "#4c72b0"
BATCH_COLOUR = "#dd8452"
HISTOGRAM_BINS = 30

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
A feature drifts when its p-value, adjusted for testing {len(result.features)} features
(Benjamini-Hochberg), is below {result.p_value} and its effect size reaches the minimum.</p>
<h2>Drifted features</h2>
{plots or "<p>None.</p>"}
<h2>Every feature</h2>
{_table(result.features)}
</body>
</html>
"""


def _table(features: list[FeatureDrift]) -> str:
    header = (
        "<tr><th class='text'>feature</th><th class='text'>test</th><th>effect size</th>"
        "<th>minimum</th><th>p-value</th><th>adjusted p-value</th><th>reference mean</th>"
        "<th>batch mean</th><th class='text'>drifted</th></tr>"
    )
    rows = [
        f'<tr class="{"drifted" if feature.drifted else ""}">'
        f"<td class='text'>{escape(feature.feature)}</td><td class='text'>{feature.test}</td>"
        f"<td>{feature.effect_size:.3f}</td><td>{feature.min_effect_size}</td>"
        f"<td>{feature.p_value:.2e}</td><td>{feature.adjusted_p_value:.2e}</td>"
        f"<td>{_number(feature.reference_mean)}</td><td>{_number(feature.batch_mean)}</td>"
        f"<td class='text'>{'yes' if feature.drifted else 'no'}</td></tr>"
        for feature in features
    ]
    return "<table>\n" + "\n".join([header, *rows]) + "\n</table>"


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.4g}"


def _figure(test: FeatureDrift, reference: FeatureProfile, values: pd.Series) -> str:
    figure = Figure(figsize=(10, 3.2), layout="constrained")
    if isinstance(reference, NumericProfile):
        _draw_numeric(figure, reference, values.astype(float))
    else:
        _draw_categorical(figure, reference, values)
    figure.suptitle(test.feature)
    caption = (
        f"{escape(test.feature)}: {test.test} effect size {test.effect_size:.3f} "
        f"(minimum {test.min_effect_size}), adjusted p-value {test.adjusted_p_value:.2e}"
    )
    return (
        f'<figure id="{escape(test.feature)}"><img alt="{escape(test.feature)}: reference and '
        f'batch distributions" src="data:image/png;base64,{_png(figure)}">'
        f"<figcaption>{caption}</figcaption></figure>"
    )


def _draw_numeric(figure: Figure, reference: NumericProfile, values: pd.Series) -> None:
    density, cumulative = figure.subplots(1, 2)
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


def _draw_categorical(figure: Figure, reference: CategoricalProfile, values: pd.Series) -> None:
    axes = figure.subplots()
    categories, table = contingency_table(reference, values)
    shares = table / table.sum(axis=1, keepdims=True)
    positions = np.arange(len(categories))
    for offset, row, label, colour in (
        (-0.2, shares[0], "reference", REFERENCE_COLOUR),
        (0.2, shares[1], "batch", BATCH_COLOUR),
    ):
        axes.bar(positions + offset, row, width=0.4, color=colour, label=label)
    axes.set_xticks(positions, categories)
    axes.set(title="share of rows per category", ylabel="share")
    axes.legend()


def _png(figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90)
    return base64.b64encode(buffer.getvalue()).decode("ascii")
