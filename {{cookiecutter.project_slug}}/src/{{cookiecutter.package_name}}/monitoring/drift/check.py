"""Check a batch for drift and write the result (JSON) and the report (HTML) from params.yaml."""

from pathlib import Path

from {{ cookiecutter.package_name }}.core.config import Params
from {{ cookiecutter.package_name }}.monitoring.drift.batch import read_batch
from {{ cookiecutter.package_name }}.monitoring.drift.compare import DriftResult, compare
from {{ cookiecutter.package_name }}.monitoring.drift.profile import load_profile
from {{ cookiecutter.package_name }}.monitoring.drift.report import render_html


def check_batch(params: Params, batch_path: Path) -> DriftResult:
    result_path, report_path = params.paths.drift_result, params.paths.drift_report
    # A failed check must not leave an earlier batch's verdict behind.
    for path in (result_path, report_path):
        path.unlink(missing_ok=True)
    profile = load_profile(params.paths.reference_profile)
    batch = read_batch(batch_path)
    result = compare(profile, batch, str(batch_path), params.drift)
    # The verdict first: it is what CI reads, and a failure drawing the plots must not lose it.
    _write(result_path, result.to_json())
    _write(report_path, render_html(result, profile, batch))
    return result


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
