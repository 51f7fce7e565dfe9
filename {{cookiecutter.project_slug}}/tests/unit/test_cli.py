import json

import pytest

from {{ cookiecutter.package_name }} import cli


def test_every_step_has_a_command():
    commands = cli.build_parser()._subparsers._group_actions[0].choices
    assert set(commands) >= {
        "init-tracking", "validate", "prepare", "train", "evaluate",
        "register", "gate", "promote", "rollback", "lineage", "predict",
        "serve", "export", "build-args", "rollout-report",
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
    assert cli.main(["register"]) == 1
    error = capsys.readouterr().err
    assert error.startswith(f"error: MLflow tracking server {uri} is not reachable")
    assert error.count("\n") == 1


def test_an_unknown_command_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["deploy-everything"])
    assert exit_.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


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
