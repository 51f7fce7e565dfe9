import base64
import re

import pandas as pd

from {{ cookiecutter.package_name }}.drift.batch import shift_features
from {{ cookiecutter.package_name }}.drift.compare import compare
from {{ cookiecutter.package_name }}.drift.profile import build_profile
from {{ cookiecutter.package_name }}.drift.report import render_html
from {{ cookiecutter.package_name }}.schema import FeatureSpec, feature_specs
from tests.unit.drift.normal_rows import draw

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def embedded_plots(page: str) -> dict[str, bytes]:
    """Map each figure's id to the PNG it embeds."""
    found = re.findall(r'<figure id="([^"]+)"><img [^>]*src="data:image/png;base64,([^"]+)"', page)
    return {name: base64.b64decode(data) for name, data in found}


def test_each_drifted_feature_gets_a_plot(reference, rules):
    batch = shift_features(draw(300, seed=2), ["mean_radius", "worst_area"], 1.0, feature_specs())
    result = compare(reference, batch, "batch.csv", rules)
    page = render_html(result, reference, batch)
    plots = embedded_plots(page)
    assert list(plots) == ["mean_radius", "worst_area"]
    assert all(png.startswith(PNG_SIGNATURE) for png in plots.values())
    assert 'class="verdict drift"' in page
    assert page.count('<tr class="drifted">') == 2


def test_a_steady_batch_says_so_without_plots(reference, rules):
    batch = draw(300, seed=2)
    page = render_html(compare(reference, batch, "<batch>.csv", rules), reference, batch)
    assert embedded_plots(page) == {}
    assert 'class="verdict steady"' in page
    assert "&lt;batch&gt;.csv" in page


def test_a_drifted_category_is_drawn(rules):
    specs = {"colour": FeatureSpec(str, nullable=False, bounds={}, allowed=("red", "blue"))}
    train = pd.DataFrame({"colour": ["red", "blue"] * 100})
    profile = build_profile(train, "train.csv", sample_size=100, seed=0, specs=specs)
    batch = pd.DataFrame({"colour": ["red"] * 90 + ["blue"] * 10})
    page = render_html(compare(profile, batch, "batch.csv", rules), profile, batch)
    assert list(embedded_plots(page)) == ["colour"]
