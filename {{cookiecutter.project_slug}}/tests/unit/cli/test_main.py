import pytest

from {{ cookiecutter.package_name }}.cli.main import build_parser, main


def test_every_step_has_a_command():
    commands = build_parser()._subparsers._group_actions[0].choices
    assert set(commands) >= {
        "init-tracking", "init-data", "validate", "prepare", "profile", "train", "evaluate",
        "register", "gate", "promote", "rollback", "lineage", "predict", "drift", "make-batch",
        "report", "serve", "export", "build-args", "rollout-report", "tune", "score",
    }  # fmt: skip


def test_a_missing_store_is_one_clear_line(tmp_path, monkeypatch, capsys):
    uri = f"sqlite:///{tmp_path}/absent.db"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    assert main(["lineage"]) == 1
    error = capsys.readouterr().err
    assert error.startswith(f"error: MLflow store {uri}: the database does not exist yet")
    assert "Traceback" not in error


def test_an_unreachable_server_is_named(monkeypatch, capsys):
    uri = "http://127.0.0.1:9"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    assert main(["promote"]) == 1
    error = capsys.readouterr().err
    assert error.startswith(f"error: MLflow tracking server {uri} is not reachable")
    assert error.count("\n") == 1


def test_an_unknown_command_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["deploy-everything"])
    assert exit_.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
