"""The card as Markdown and as a page: the measured numbers, flags, escaping, nothing external."""

from dataclasses import replace
from html.parser import HTMLParser

import pytest

from {{ cookiecutter.package_name }}.registry.gate import GateDecision
from {{ cookiecutter.package_name }}.reporting.card.build import ModelCard, TrainingData
from {{ cookiecutter.package_name }}.reporting.card.measure import Group, Grouping, Importance
from {{ cookiecutter.package_name }}.reporting.card.render import (
    MARKDOWN_ROWS,
    to_html,
    to_markdown,
)

from tests.unit.reporting.card.conftest import SETTINGS, measured

HOSTILE = '<script src="https://example.com/x.js">alert("owned")</script> | & <b>bold</b>'


@pytest.fixture(scope="module")
def card() -> ModelCard:
    each = measured("binary")
    return ModelCard(
        model_name="churn-model",
        version="3",
        task="binary",
        target=each.task.data.target.name,
        owner="Data team (data@example.com)",
        intended_use="Rank customers for a call; never to refuse anyone a service.",
        test_data="data/processed/test.csv",
        test_md5="0" * 32,
        training=TrainingData(
            "data/processed/train.csv", "1" * 32, "1" * 32, 300, {"no": 180, "yes": 120}
        ),
        measurements=each.measurements,
        settings=SETTINGS,
        seed=3,
        gate=None,
        lineage={
            "model_uri": "models:/churn-model/3",
            "run_id": "abc123",
            "aliases": ["challenger"],
            "registered_at": "2025-01-02T03:04:05+00:00",
            "tags": {"git_commit": "f00d", "git_branch": "main", "params_digest": "beef"},
        },
        notes=(),
    )


class Elements(HTMLParser):
    """Every tag and attribute of a page."""

    def __init__(self, page: str):
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[str] = []
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes += [name for name, _ in attrs]


def test_the_page_needs_nothing_but_itself(card):
    page = to_html(card)
    for reference in ("http", "src=", "<link", "@import", "url("):
        assert reference not in page.lower(), reference
    elements = Elements(page)
    assert {"script", "link", "img", "iframe", "object", "embed"}.isdisjoint(elements.tags)
    assert {"src", "href"}.isdisjoint(elements.attributes)
    assert "<style>" in page


def test_text_from_people_and_data_is_shown_never_run(card):
    group = Group(HOSTILE, 40, {"accuracy": 0.5})
    hostile = replace(
        card,
        owner=HOSTILE,
        intended_use=f"{HOSTILE}\nsecond line",
        measurements=replace(
            card.measurements, slices=(Grouping("colour", "one group per value", (group,), 30),)
        ),
    )
    page, markdown = to_html(hostile), to_markdown(hostile)
    elements = Elements(page)
    assert "script" not in elements.tags
    assert "b" not in elements.tags
    assert "&lt;script src=&quot;https://example.com/x.js&quot;&gt;" in page
    assert "<script" not in markdown
    assert "<b>" not in markdown
    assert "&lt;script" in markdown
    # A bar in a cell stays in its cell.
    (row,) = [line for line in markdown.splitlines() if line.startswith("| &lt;script")]
    assert row.count(" | ") == 2
    assert "Intended use: &lt;script" in markdown
    assert "second line" in markdown.split("Intended use: ")[1].splitlines()[0]


def test_the_markdown_shows_every_metric_with_its_interval(card):
    markdown = to_markdown(card)
    for estimate in card.measurements.metrics:
        better = "higher" if estimate.greater_is_better else "lower"
        assert (
            f"| {estimate.name} | {estimate.value:.4f} | {estimate.low:.4f} to "
            f"{estimate.high:.4f} | {better} |"
        ) in markdown
    assert "95% interval" in markdown
    assert f"over {SETTINGS.bootstrap_samples} resamples" in markdown
    assert "Rows of each" in markdown
    assert "yes: 120 (40.0%)" in markdown


def test_small_groups_are_flagged_and_warned_of(card):
    (warning,) = [text for text in card.warnings if text.startswith("slice colour")]
    assert warning.startswith("slice colour: 1 of 4 groups have fewer than 30 test rows")
    assert warning.endswith("so their metrics are noisy: (missing)")
    (fairness,) = [text for text in card.warnings if text.startswith("sensitive column")]
    assert fairness.endswith("so their rates are noisy and left out of the gaps: (missing)")
    markdown, page = to_markdown(card), to_html(card)
    assert f"- Warning: {warning}" in markdown
    assert "(too few)" in markdown
    assert '<tr class="flagged">' in page
    assert '<ul class="warnings">' in page


def test_the_gate_decision_is_shown_when_there_is_one(card):
    assert "Version 3 has not been through the gate" in to_markdown(card)
    decision = GateDecision(
        passed=False,
        challenger_version="3",
        champion_version="2",
        challenger_metrics={"roc_auc": 0.9, "accuracy": 0.8},
        champion_metrics={"roc_auc": 0.95, "accuracy": 0.85},
        reasons=["roc_auc improves by -0.0500 on the champion"],
    )
    markdown = to_markdown(replace(card, gate=decision))
    assert "Did not pass against champion version 2" in markdown
    assert "| roc_auc | 0.9000 | 0.9500 |" in markdown
    assert "- roc_auc improves by -0.0500 on the champion" in markdown


def test_the_markdown_keeps_long_tables_short_and_the_page_whole(card):
    many = tuple(Importance(f"feature_{index}", 1 / (index + 1), 0.01) for index in range(15))
    long = replace(card, measurements=replace(card.measurements, importance=many))
    markdown, page = to_markdown(long), to_html(long)
    assert "| feature_9 |" in markdown
    assert "| feature_10 |" not in markdown
    assert f"And {15 - MARKDOWN_ROWS} more features: the HTML card shows them all." in markdown
    assert "<td>feature_14</td>" in page


def test_lineage_names_the_run_commit_and_params(card):
    markdown = to_markdown(card)
    assert "| run | abc123 |" in markdown
    assert "| commit | f00d on main |" in markdown
    assert "| params digest | beef |" in markdown
    assert markdown.startswith("### Model card: churn-model version 3\n")
