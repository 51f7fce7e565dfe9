"""Check a batch for drift and write the result (JSON) and the report (HTML) from params.yaml."""

from pathlib import Path

from {{ cookiecutter.package_name }}.config import Params
from {{ cookiecutter.package_name }}.drift.batch import read_batch
from {{ cookiecutter.package_name }}.drift.compare import DriftResult, compare
from {{ cookiecutter.package_name }}.drift.profile import load_profile
from {{ cookiecutter.package_name }}.drift.report import render_html


def check_batch(params: Params, batch_path: Path) -> DriftResult:
    outputs = (params.paths.drift_result, params.paths.drift_report)
    # A failed check must not leave an earlier batch's verdict behind.
    for path in outputs:
        path.unlink(missing_ok=True)
    profile = load_profile(params.paths.reference_profile)
    batch = read_batch(batch_path)
    result = compare(profile, batch, str(batch_path), params.drift)
    for path, text in zip(
        outputs, (result.to_json(), render_html(result, profile, batch)), strict=True
    ):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return result
