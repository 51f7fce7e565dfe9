import base64
import re

import pytest

from {{ cookiecutter.package_name }}.core.description import DataDescription
from {{ cookiecutter.package_name }}.monitoring.drift.batch import shift_features
from {{ cookiecutter.package_name }}.monitoring.drift.compare import compare
from {{ cookiecutter.package_name }}.monitoring.drift.report import render_html
from {{ cookiecutter.package_name }}.project.schema import DATA

from tests.unit.monitoring.drift.normal_rows import KINDS, draw, numeric_features, without_values

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def embedded_plots(page: str) -> dict[str, bytes]:
    """Map each figure's id to the PNG it embeds."""
    found = re.findall(r'<figure id="([^"]+)"><img [^>]*src="data:image/png;base64,([^"]+)"', page)
    return {name: base64.b64decode(data) for name, data in found}


def report(profile, batch, rules, data: DataDescription = DATA) -> str:
    return render_html(compare(profile, batch, "batch.csv", rules, data), profile, batch)


def test_each_drifted_feature_gets_a_plot(reference, rules):
    shifted = numeric_features()[:2]
    if not shifted:
        pytest.skip("schema.py declares no numeric feature to shift")
    batch = shift_features(draw(300, seed=2), shifted, 1.0)
    page = report(reference, batch, rules)
    plots = embedded_plots(page)
    assert list(plots) == shifted
    assert all(png.startswith(PNG_SIGNATURE) for png in plots.values())
    assert 'class="verdict drift"' in page
    assert page.count('<tr class="drifted">') == len(shifted)


def test_a_steady_batch_says_so_without_plots(reference, rules):
    batch = draw(300, seed=2)
    page = render_html(compare(reference, batch, "<batch>.csv", rules), reference, batch)
    assert embedded_plots(page) == {}
    assert 'class="verdict steady"' in page
    assert "&lt;batch&gt;.csv" in page


def test_drifted_categories_and_booleans_are_drawn(kinds_reference, rules):
    batch = draw(300, 2, KINDS)
    batch["colour"] = batch["colour"].where(batch["colour"].isna(), "red")
    batch["member"] = batch["member"].where(batch["member"].isna(), True)
    assert list(embedded_plots(report(kinds_reference, batch, rules, KINDS))) == [
        "colour",
        "member",
    ]


@pytest.mark.parametrize("name", ["size", "colour", "member"])
def test_a_feature_with_no_values_left_is_drawn_and_tabled(kinds_reference, rules, name):
    page = report(kinds_reference, without_values(draw(300, 2, KINDS), name), rules, KINDS)
    assert list(embedded_plots(page)) == [name]
    assert "no values to compare" in page
    assert "<td>100.0%</td>" in page
