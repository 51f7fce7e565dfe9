import json
from pathlib import Path

import pytest
import yaml

from {{ cookiecutter.package_name }}.cli.main import main
from {{ cookiecutter.package_name }}.cli.monitoring import DRIFT_EXIT_STATUS
from {{ cookiecutter.package_name }}.core.config import PARAMS_FILE, load_params
from {{ cookiecutter.package_name }}.monitoring.drift.profile import build_profile, save_profile
from {{ cookiecutter.package_name }}.project.schema import DATA

from tests.synthetic import synthetic_frame

FIRST = DATA.feature_names[0]


@pytest.fixture
def drift_workspace(tmp_path, monkeypatch):
    """A directory with the project's params, where one drifted feature is too many, a
    reference profile, and batches to compare with it."""
    params = yaml.safe_load(PARAMS_FILE.read_text())
    params["drift"]["max_drifted_features"] = 0
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    monkeypatch.chdir(tmp_path)
    params = load_params()
    reference = synthetic_frame(500, seed=1)
    profile = build_profile(reference, "train.csv", params.drift.reference_sample_size, seed=0)
    save_profile(profile, params.paths.reference_profile)
    batch = synthetic_frame(300, seed=2)
    batch.to_csv("batch.csv", index=False)
    # One value in every row of the first feature: unlike the training data by far.
    batch.assign(**{FIRST: batch[FIRST].dropna().iloc[0]}).to_csv("shifted.csv", index=False)
    return params.paths


def test_the_makefile_reads_the_drift_exit_status_the_cli_sets():
    makefile = (Path(__file__).parents[3] / "Makefile").read_text()
    assert f"\nDRIFT_EXIT_STATUS := {DRIFT_EXIT_STATUS}\n" in makefile


def test_the_drift_exit_status_tells_ci_whether_to_retrain(drift_workspace, capsys):
    assert main(["drift", "batch.csv"]) == 0
    assert capsys.readouterr().out.startswith(
        f"no drift: 0 of {len(DATA.features)} features drifted"
    )
    assert json.loads(drift_workspace.drift_result.read_text())["drift"] is False

    assert main(["drift", "shifted.csv"]) == DRIFT_EXIT_STATUS == 3
    assert capsys.readouterr().out.startswith(
        f"drift in 1 of {len(DATA.features)} features ({FIRST})"
    )
    assert json.loads(drift_workspace.drift_result.read_text())["drifted_features"] == [FIRST]
    assert f'id="{FIRST}"' in drift_workspace.drift_report.read_text()


def test_a_failed_drift_check_is_an_error_and_leaves_no_verdict(drift_workspace, capsys):
    assert main(["drift", "batch.csv"]) == 0
    assert main(["drift", "absent.csv"]) == 1
    assert capsys.readouterr().err == (
        "error: absent.csv: file not found (is the data checked out? try `dvc pull`)\n"
    )
    assert not drift_workspace.drift_result.exists()
    assert not drift_workspace.drift_report.exists()
