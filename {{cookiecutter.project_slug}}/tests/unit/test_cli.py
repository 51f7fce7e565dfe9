import json
from pathlib import Path

import pytest
import yaml

from {{ cookiecutter.package_name }} import cli
from {{ cookiecutter.package_name }}.config import PARAMS_FILE, load_params
from {{ cookiecutter.package_name }}.drift.profile import build_profile, save_profile
from {{ cookiecutter.package_name }}.registry import CHALLENGER, CHAMPION
from {{ cookiecutter.package_name }}.schema import DATA

from tests.synthetic import synthetic_frame

FIRST = DATA.feature_names[0]


def test_every_step_has_a_command():
    commands = cli.build_parser()._subparsers._group_actions[0].choices
    assert set(commands) >= {
        "init-tracking", "init-data", "validate", "prepare", "profile", "train", "evaluate",
        "register", "gate", "promote", "rollback", "lineage", "predict", "drift", "make-batch",
        "report", "serve", "export", "build-args", "rollout-report", "tune", "score",
    }  # fmt: skip


def test_a_missing_store_is_one_clear_line(tmp_path, monkeypatch, capsys):
    uri = f"sqlite:///{tmp_path}/absent.db"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    assert cli.main(["lineage"]) == 1
    error = capsys.readouterr().err
    assert error.startswith(f"error: MLflow store {uri}: the database does not exist yet")
    assert "Traceback" not in error


def test_an_unreachable_server_is_named(monkeypatch, capsys):
    uri = "http://127.0.0.1:9"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    assert cli.main(["promote"]) == 1
    error = capsys.readouterr().err
    assert error.startswith(f"error: MLflow tracking server {uri} is not reachable")
    assert error.count("\n") == 1


def test_the_ui_of_a_tracking_server_is_the_servers_own(monkeypatch, capsys):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "https://alice:secret@mlflow.example.com")
    assert cli.main(["ui"]) == 0
    said = capsys.readouterr().out.strip()
    assert said == "runs and models are on the tracking server: open https://***@mlflow.example.com"


def test_the_ui_of_a_store_not_created_yet_is_one_clear_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path}/absent.db")
    assert cli.main(["ui"]) == 1
    assert "the database does not exist yet" in capsys.readouterr().err


def test_an_unknown_command_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["deploy-everything"])
    assert exit_.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


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
    makefile = (Path(__file__).parents[2] / "Makefile").read_text()
    assert f"\nDRIFT_EXIT_STATUS := {cli.DRIFT_EXIT_STATUS}\n" in makefile


def test_the_drift_exit_status_tells_ci_whether_to_retrain(drift_workspace, capsys):
    assert cli.main(["drift", "batch.csv"]) == 0
    assert capsys.readouterr().out.startswith(
        f"no drift: 0 of {len(DATA.features)} features drifted"
    )
    assert json.loads(drift_workspace.drift_result.read_text())["drift"] is False

    assert cli.main(["drift", "shifted.csv"]) == cli.DRIFT_EXIT_STATUS == 3
    assert capsys.readouterr().out.startswith(
        f"drift in 1 of {len(DATA.features)} features ({FIRST})"
    )
    assert json.loads(drift_workspace.drift_result.read_text())["drifted_features"] == [FIRST]
    assert f'id="{FIRST}"' in drift_workspace.drift_report.read_text()


def test_a_failed_drift_check_is_an_error_and_leaves_no_verdict(drift_workspace, capsys):
    assert cli.main(["drift", "batch.csv"]) == 0
    assert cli.main(["drift", "absent.csv"]) == 1
    assert capsys.readouterr().err == (
        "error: absent.csv: file not found (is the data checked out? try `dvc pull`)\n"
    )
    assert not drift_workspace.drift_result.exists()
    assert not drift_workspace.drift_report.exists()


def test_build_args_label_an_image_with_the_exported_model(tmp_path, capsys):
    record = {"model_name": "m", "version": "3", "run_id": "r1", "tags": {"git_commit": "c0"}}
    (tmp_path / "lineage.json").write_text(json.dumps(record))
    assert cli.main(["build-args", str(tmp_path)]) == 0
    assert capsys.readouterr().out.split() == [
        "--build-arg", "MODEL_NAME=m", "--build-arg", "MODEL_VERSION=3",
        "--build-arg", "MODEL_RUN_ID=r1", "--build-arg", "GIT_COMMIT=c0",
    ]  # fmt: skip


def test_build_args_without_an_export_say_what_to_run(tmp_path, capsys):
    assert cli.main(["build-args", str(tmp_path)]) == 1
    assert "run `make export` first" in capsys.readouterr().err


def test_bad_serving_settings_are_one_clear_line(monkeypatch, capsys):
    monkeypatch.setenv("SERVING_ROLLOUT", "shadow")
    assert cli.main(["serve"]) == 1
    assert capsys.readouterr().err == (
        "error: serving settings: SERVING_ROLLOUT=shadow needs SERVING_CHALLENGER "
        "(for example models:/<name>@challenger)\n"
    )


def gate_files(params) -> tuple[dict, str]:
    """The decision and summary the gate wrote, which are then removed."""
    decision = json.loads(params.paths.gate_decision.read_text())
    summary = params.paths.gate_summary.read_text()
    params.paths.gate_decision.unlink()
    params.paths.gate_summary.unlink()
    return decision, summary


@pytest.mark.parametrize("flags", [[], ["--fail-on-reject"]], ids=["plain", "fail-on-reject"])
def test_a_gate_that_passes_exits_0_and_promotes_nothing(gate_store, capsys, flags):
    store = gate_store
    store.set_aliases(champion=store.worse, challenger=store.better)
    assert cli.main(["gate", *flags]) == 0
    decision, summary = gate_files(store.params)
    assert (decision["passed"], decision["challenger_version"], decision["champion_version"]) == (
        True,
        store.better,
        store.worse,
    )
    assert summary.startswith(f"### Quality gate: challenger v{store.better} passes\n")
    assert capsys.readouterr().out == summary + "\n"
    assert store.aliases() == {CHAMPION: store.worse, CHALLENGER: store.better}


def test_a_rejection_fails_the_command_only_with_fail_on_reject(gate_store, capsys):
    store = gate_store
    store.set_aliases(champion=store.better, challenger=store.worse)
    for flags, status in [([], 0), (["--fail-on-reject"], 1)]:
        assert cli.main(["gate", *flags]) == status
        decision, summary = gate_files(store.params)
        assert (decision["passed"], decision["challenger_version"]) == (False, store.worse)
        assert summary.startswith(f"### Quality gate: challenger v{store.worse} does not pass\n")
    assert capsys.readouterr().err == ""
    assert store.aliases() == {CHAMPION: store.better, CHALLENGER: store.worse}


def test_the_gate_judges_the_version_named(gate_store):
    store = gate_store
    # Just promoted: the challenger is the champion, so it improves on nothing.
    store.set_aliases(champion=store.worse, challenger=store.worse)
    assert cli.main(["gate", "--fail-on-reject"]) == 1
    assert gate_files(store.params)[0]["challenger_version"] == store.worse
    assert cli.main(["gate", "--version", store.better, "--fail-on-reject"]) == 0
    decision, _ = gate_files(store.params)
    assert (decision["passed"], decision["challenger_version"], decision["champion_version"]) == (
        True,
        store.better,
        store.worse,
    )


@pytest.mark.parametrize(
    ("flags", "missing"),
    [(["--version", "9"], "9"), ([], CHALLENGER)],
    ids=["unknown-version", "no-challenger"],
)
def test_a_gate_with_nothing_to_judge_is_one_clear_line(gate_store, capsys, flags, missing):
    store = gate_store
    store.set_aliases(champion=store.worse)
    assert cli.main(["gate", *flags]) == 1
    assert capsys.readouterr().err == (
        f"error: model {store.name!r} has no version or alias {missing!r}\n"
    )
    assert not store.params.paths.gate_decision.exists()
    assert not store.params.paths.gate_summary.exists()
