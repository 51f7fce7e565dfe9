import os

import pytest

from {{ cookiecutter.package_name }}.cli.main import main
from {{ cookiecutter.package_name }}.infra.tracking import CREDENTIAL_VARIABLES, redacted


def test_a_password_in_the_tracking_uri_is_never_shown(monkeypatch, capsys):
    for variable in CREDENTIAL_VARIABLES:
        monkeypatch.setenv(variable, "from before")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://alice:s3cret%40x@127.0.0.1:9")
    assert main(["promote"]) == 1
    error = capsys.readouterr().err
    assert error.startswith("error: MLflow tracking server http://127.0.0.1:9 is not reachable")
    assert "s3cret" not in error
    # MLflow's client is given them where it reads credentials, never inside a URL it quotes.
    assert [os.environ[variable] for variable in CREDENTIAL_VARIABLES] == ["alice", "s3cret@x"]


@pytest.mark.parametrize(
    ("uri", "shown"),
    [
        ("postgresql://mlflow:secret@db:5432/mlflow", "postgresql://***@db:5432/mlflow"),
        ("https://token@mlflow.example.com/", "https://***@mlflow.example.com/"),
        ("http://127.0.0.1:5000", "http://127.0.0.1:5000"),
        ("sqlite:///mlflow.db", "sqlite:///mlflow.db"),
    ],
)
def test_a_uri_is_shown_without_what_precedes_its_at_sign(uri, shown):
    assert redacted(uri) == shown
