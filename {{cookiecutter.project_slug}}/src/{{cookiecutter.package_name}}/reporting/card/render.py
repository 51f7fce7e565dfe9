"""The card as Markdown (the version's description, the pull request's report) and as an HTML
page that needs nothing but itself: no script, stylesheet, font or image from anywhere.

Both are drawn from one outline of sections, each a list of paragraphs, lists and tables, so
they say the same; the Markdown keeps long tables short."""

import math
from dataclasses import dataclass, field
from html import escape
from typing import TYPE_CHECKING

from {{ cookiecutter.package_name }}.reporting.card.measure import Fairness, Grouping, Measurements

if TYPE_CHECKING:
    from {{ cookiecutter.package_name }}.reporting.card.build import ModelCard

# Rows of a long table the Markdown shows; the page shows them all.
MARKDOWN_ROWS = 10


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[list[str]]
    # The rows to draw attention to, by position.
    flagged: set[int] = field(default_factory=set)


@dataclass(frozen=True)
class Bullets:
    items: list[str]
    warning: bool = False


Block = str | Table | Bullets


@dataclass(frozen=True)
class Section:
    title: str
    blocks: list[Block]


def to_markdown(card: "ModelCard") -> str:
    lines = [f"### {_md(title(card))}", ""]
    for block in summary(card):
        lines += [*_md_block(block), ""]
    for section in outline(card, compact=True):
        lines += [f"#### {_md(section.title)}", ""]
        for block in section.blocks:
            lines += [*_md_block(block), ""]
    return "\n".join(lines).rstrip() + "\n"


def to_html(card: "ModelCard") -> str:
    body = [f"<h1>{escape(title(card))}</h1>", *map(_html_block, summary(card))]
    for section in outline(card, compact=False):
        body.append(f"<h2>{escape(section.title)}</h2>")
        body += map(_html_block, section.blocks)
    content = "\n".join(body)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{escape(title(card))}</title>
<style>{STYLE}</style>
</head>
<body>
{content}
</body>
</html>
"""


STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; color: #222;
       padding: 0 1rem; }
h2 { margin-top: 2rem; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; font-size: 0.9rem; margin: 0.5rem 0; }
th, td { padding: 0.25rem 0.6rem; border-bottom: 1px solid #ddd; text-align: left; }
tr.flagged { background: #fff4d6; }
ul.warnings { background: #fff4d6; border: 1px solid #c98a00; padding: 0.6rem 1.6rem; }
"""


def title(card: "ModelCard") -> str:
    return f"Model card: {card.model_name} version {card.version}"


def summary(card: "ModelCard") -> list[Block]:
    """What the card opens with: the model, its owner and use, and what to be wary of."""
    aliases = ", ".join(card.lineage["aliases"]) or "none"
    blocks: list[Block] = [
        f"A {card.task} model predicting {card.target}, registered "
        f"{card.lineage['registered_at'][:10]}; aliases: {aliases}.",
        f"Owner: {card.owner}",
        f"Intended use: {card.intended_use}",
    ]
    if card.warnings:
        blocks.append(Bullets([f"Warning: {warning}" for warning in card.warnings], warning=True))
    return blocks


def outline(card: "ModelCard", compact: bool) -> list[Section]:
    measured = card.measurements
    return [
        Section("Metrics on the test split", _metrics(card)),
        Section("Training data", _training(card)),
        Section("Slices", _slices(measured, compact)),
        Section("Fairness", _fairness(card, measured.fairness, compact)),
        Section("Feature importance", _importance(card, compact)),
        Section("Quality gate", _gate(card)),
        Section("Lineage", _lineage(card)),
    ]


def _metrics(card: "ModelCard") -> list[Block]:
    settings = card.settings
    level = f"{settings.confidence_level:.0%}"
    blocks: list[Block] = [
        f"{card.measurements.test_rows} rows of {card.test_data} (md5 {card.test_md5}). Each "
        f"interval holds the middle {level} of the metric's values over "
        f"{settings.bootstrap_samples} resamples of these rows with replacement (seed "
        f"{card.seed}): the narrower, the surer.",
        Table(
            ["metric", "value", f"{level} interval", "better"],
            [
                [
                    estimate.name,
                    _number(estimate.value),
                    f"{_number(estimate.low)} to {_number(estimate.high)}",
                    "higher" if estimate.greater_is_better else "lower",
                ]
                for estimate in card.measurements.metrics
            ],
        ),
    ]
    partial = [
        f"{estimate.name} is undefined on {settings.bootstrap_samples - estimate.resamples} "
        f"resamples (one class only, say); its interval is from the other {estimate.resamples}."
        for estimate in card.measurements.metrics
        if estimate.resamples < settings.bootstrap_samples
    ]
    return [*blocks, Bullets(partial)] if partial else blocks


def _training(card: "ModelCard") -> list[Block]:
    data = card.training
    recorded = f"DVC md5 {data.dvc_md5} (dvc.lock)" if data.dvc_md5 else "not in dvc.lock"
    if card.task == "regression":
        stats = data.distribution
        spread = (
            f"{card.target}: mean {_number(stats['mean'])}, standard deviation "
            f"{_number(stats['std'])}, min {_number(stats['min'])}, median "
            f"{_number(stats['50%'])}, max {_number(stats['max'])}."
        )
    else:
        shares = ", ".join(
            f"{label}: {int(rows)} ({rows / data.rows:.1%})"
            for label, rows in data.distribution.items()
        )
        spread = f"Rows of each {card.target} label: {shares}."
    return [f"{data.rows} rows of {data.path}, {recorded}.", spread]


def _grouping_table(grouping: Grouping, compact: bool) -> list[Block]:
    names = list(grouping.groups[0].values) if grouping.groups else []
    rows = [
        [
            group.label,
            f"{group.rows} (too few)" if group.rows < grouping.min_rows else str(group.rows),
            *(_number(group.values[name]) for name in names),
        ]
        for group in grouping.groups
    ]
    flagged = {index for index, group in enumerate(grouping.groups) if group in grouping.small}
    return _shortened(Table(["group", "test rows", *names], rows, flagged), compact, "groups")


def _slices(measured: Measurements, compact: bool) -> list[Block]:
    if not measured.slices:
        return [
            "No slices: list columns of the data description in card.slices in params.yaml to "
            "see the metrics group by group."
        ]
    blocks: list[Block] = []
    for grouping in measured.slices:
        blocks.append(f"By {grouping.column}, {grouping.how}:")
        blocks += _grouping_table(grouping, compact)
    return blocks


def _fairness(card: "ModelCard", fairness: Fairness | None, compact: bool) -> list[Block]:
    if fairness is None:
        return [
            "No sensitive column: name one in card.sensitive_column in params.yaml to compare "
            "how the model treats its groups."
        ]
    grouping = fairness.grouping
    blocks: list[Block] = [
        f"By {grouping.column}, {grouping.how}: the {card.task} task's rates of each group's "
        f"predictions on the test split. The gaps compare the groups of at least "
        f"{grouping.min_rows} test rows.",
        *_grouping_table(grouping, compact),
    ]
    if not fairness.gaps:
        return [*blocks, f"No gap: fewer than two groups have {grouping.min_rows} rows or more."]
    gaps = [
        f"{gap.rate}: {_number(gap.value)}, from {gap.lowest} to {gap.highest}"
        for gap in fairness.gaps
    ]
    return [*blocks, "The largest gap of each rate between two groups:", Bullets(gaps)]


def _importance(card: "ModelCard", compact: bool) -> list[Block]:
    measured = card.measurements
    table = Table(
        ["feature", "importance", "standard deviation"],
        [[item.feature, _number(item.mean), _number(item.std)] for item in measured.importance],
    )
    return [
        f"Permutation importance on the test split: how much {measured.importance_metric} "
        f"(the gate's primary metric) gets worse when one feature's values are shuffled, over "
        f"{card.settings.importance_repeats} shuffles (seed {card.seed}). Near zero or below: "
        "the model does not rely on the feature.",
        *_shortened(table, compact, "features"),
    ]


def _gate(card: "ModelCard") -> list[Block]:
    decision = card.gate
    if decision is None:
        return [
            f"Version {card.version} has not been through the gate (make gate judges the "
            "challenger against the champion)."
        ]
    verdict = "Passed" if decision.passed else "Did not pass"
    against = (
        f"against champion version {decision.champion_version}"
        if decision.champion_version
        else "with no champion to beat"
    )
    champion = decision.champion_metrics or {}
    table = Table(
        ["metric", f"version {card.version}", "champion"],
        [
            [name, _number(value), _number(champion[name]) if name in champion else "n/a"]
            for name, value in decision.challenger_metrics.items()
        ],
    )
    return [f"{verdict} {against}.", table, Bullets(decision.reasons)]


def _lineage(card: "ModelCard") -> list[Block]:
    record = card.lineage
    tags = record["tags"]
    dirty = ", with uncommitted changes" if tags.get("git_dirty") == "true" else ""
    facts = {
        "model": record["model_uri"],
        "run": record["run_id"] or "none",
        "commit": f"{tags.get('git_commit', 'unknown')} on {tags.get('git_branch', '?')}{dirty}",
        "raw data md5": tags.get("raw_data_md5", "unknown"),
        "training data md5": tags.get("train_data_md5", "unknown"),
        "model md5": tags.get("model_md5", "unknown"),
        "params digest": tags.get("params_digest", "unknown"),
        "registered": record["registered_at"],
    }
    if "ci_build_url" in tags:
        facts["CI build"] = tags["ci_build_url"]
    if "promoted_by" in tags:
        facts["promoted"] = (
            f"{tags.get('promoted_at', '?')} by {tags['promoted_by']}: "
            f"{tags.get('promotion_reason', '')}"
        )
    return [Table(["fact", "value"], [[key, value] for key, value in facts.items()])]


def _shortened(table: Table, compact: bool, things: str) -> list[Block]:
    if not compact or len(table.rows) <= MARKDOWN_ROWS:
        return [table]
    shown = Table(table.header, table.rows[:MARKDOWN_ROWS], table.flagged)
    hidden = len(table.rows) - MARKDOWN_ROWS
    return [shown, f"And {hidden} more {things}: the HTML card shows them all."]


def _number(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.4f}"


# Markdown --------------------------------------------------------------------------------------


def _md(text: str) -> str:
    """Text as Markdown shows it: no HTML of its own, no table cell broken by a bar or a line."""
    return escape(text, quote=False).replace("|", "\\|").replace("\n", " ")


def _md_block(block: Block) -> list[str]:
    if isinstance(block, Table):
        lines = [
            "| " + " | ".join(map(_md, block.header)) + " |",
            "|" + "---|" * len(block.header),
        ]
        for index, row in enumerate(block.rows):
            cells = [_md(cell) for cell in row]
            if index in block.flagged:
                cells[0] = f"**{cells[0]}**"
            lines.append("| " + " | ".join(cells) + " |")
        return lines
    if isinstance(block, Bullets):
        return [f"- {_md(item)}" for item in block.items]
    return [_md(block)]


# HTML ------------------------------------------------------------------------------------------


def _html_block(block: Block) -> str:
    if isinstance(block, Table):
        head = "".join(f"<th>{escape(cell)}</th>" for cell in block.header)
        rows = [
            _tag("tr", "flagged" if index in block.flagged else None)
            + "".join(f"<td>{escape(cell)}</td>" for cell in row)
            + "</tr>"
            for index, row in enumerate(block.rows)
        ]
        return "\n".join(["<table>", f"<tr>{head}</tr>", *rows, "</table>"])
    if isinstance(block, Bullets):
        items = "".join(f"<li>{escape(item)}</li>" for item in block.items)
        return _tag("ul", "warnings" if block.warning else None) + items + "</ul>"
    return f"<p>{escape(block)}</p>"


def _tag(name: str, css_class: str | None) -> str:
    return f'<{name} class="{css_class}">' if css_class else f"<{name}>"
