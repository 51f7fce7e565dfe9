import json

from {{ cookiecutter.package_name }}.core.config import load_params
from {{ cookiecutter.package_name }}.core.data import write_table
from {{ cookiecutter.package_name }}.monitoring.drift.check import check_batch
from {{ cookiecutter.package_name }}.monitoring.drift.profile import build_profile, save_profile

from tests.synthetic import synthetic_frame


def test_the_check_writes_its_verdict_and_report_in_folders_it_creates(tmp_path):
    params = load_params()
    paths = params.paths.model_copy(
        update={
            "reference_profile": tmp_path / "profile.json",
            "drift_result": tmp_path / "verdicts" / "latest" / "drift.json",
            "drift_report": tmp_path / "pages" / "latest" / "drift.html",
        }
    )
    params = params.model_copy(update={"paths": paths})
    reference = synthetic_frame(500, seed=1)
    save_profile(build_profile(reference, "train.csv", 5000, seed=0), paths.reference_profile)
    batch = tmp_path / "batch.csv"
    write_table(synthetic_frame(300, seed=2), batch)

    result = check_batch(params, batch)
    assert result.batch == str(batch)
    assert json.loads(paths.drift_result.read_text()) == json.loads(result.to_json())
    assert paths.drift_report.read_text().startswith("<!DOCTYPE html>")
