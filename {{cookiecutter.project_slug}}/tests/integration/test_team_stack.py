"""The team stack for real: runs on an MLflow server backed by PostgreSQL, whose artifacts
go through the server to an S3-compatible bucket, and data shared through that kind of bucket.
The server signs clients in: the project's loop runs with credentials from the environment and
is refused without them.
"""

import base64
import json
import urllib.error
import urllib.request
from pathlib import Path

import psycopg
import pytest
from mlflow import MlflowClient

from {{ cookiecutter.package_name }}.core.config import load_params
from {{ cookiecutter.package_name }}.core.tasks import project_task
from {{ cookiecutter.package_name }}.registry import versions as registry

from tests.integration.project_copy import (
    PROJECT_ROOT,
    Runner,
    cli,
    commit_all,
    copy_project,
    runner,
    set_param,
)
from tests.integration.services import (
    ADMIN_CREDENTIALS,
    ARTIFACTS_BUCKET,
    DATABASE_PASSWORD,
    DVC_BUCKET,
    S3_CREDENTIALS,
)

pytestmark = pytest.mark.services

REMOTE = "storage"
REMOTE_URL = f"s3://{DVC_BUCKET}/{PROJECT_ROOT.name}"
PARAMS = load_params()
PATHS = PARAMS.paths
# A name of its own: the registry tests on the same server start from a model with no versions.
MODEL_NAME = f"{PARAMS.mlflow.model_name}-team"
# Files that DVC keeps out of git, so a teammate can only get them from the remote.
DVC_OUTPUTS = [PATHS.raw_data, PATHS.train_data, PATHS.test_data, PATHS.model / "MLmodel"]
# What a client without an account sends: nothing (an empty variable counts as unset), or a
# real user name with a wrong password.
REFUSED_CREDENTIALS = {
    "no credentials": dict.fromkeys(ADMIN_CREDENTIALS, ""),
    "a wrong password": {**ADMIN_CREDENTIALS, "MLFLOW_TRACKING_PASSWORD": "not-the-password"},
}


@pytest.fixture(scope="module")
def team_project(team_stack, tmp_path_factory) -> tuple[Path, Runner]:
    """A project copy on the team's tracking server, after one `dvc repro`."""
    project = copy_project(tmp_path_factory.mktemp("team") / PROJECT_ROOT.name)
    set_param(project, "mlflow", "model_name", MODEL_NAME)
    run = runner(project, {"MLFLOW_TRACKING_URI": team_stack.tracking_uri})
    # The copy has no DVC cache; `dvc add` puts the unchanged raw data back in it.
    run("dvc", "add", "--quiet", str(PATHS.raw_data))
    run("dvc", "repro")
    return project, run


def set_locally(run: Runner, key: str, value: str) -> None:
    """Set a remote option in .dvc/config.local, which git ignores."""
    run("dvc", "remote", "modify", "--local", REMOTE, key, value)


def registry_state(client: MlflowClient) -> tuple[list[str], dict[str, str]]:
    """The model's versions and its aliases, as the team's registry holds them."""
    found = client.search_model_versions(f"name = '{MODEL_NAME}'")
    models = client.search_registered_models(f"name = '{MODEL_NAME}'")
    aliases = {alias: str(version) for model in models for alias, version in model.aliases.items()}
    return sorted(str(version.version) for version in found), aliases


def test_runs_live_in_postgresql_and_artifacts_in_the_bucket(team_project, team_stack):
    project, _ = team_project
    training_run = json.loads((project / PATHS.training_run).read_text())
    # The password holds characters that a connection string cannot: the server got it aside.
    with psycopg.connect(team_stack.database_uri, password=DATABASE_PASSWORD) as connection:
        row = connection.execute(
            "SELECT artifact_uri FROM runs WHERE run_uuid = %s", (training_run["run_id"],)
        ).fetchone()
    assert row is not None, "the training run is not in PostgreSQL"
    # Clients address artifacts through the server; only the server talks to the bucket.
    assert row[0].startswith("mlflow-artifacts:/")
    keys = team_stack.bucket_keys(ARTIFACTS_BUCKET)
    assert any(training_run["model_id"] in key and key.endswith("/MLmodel") for key in keys)
    plot = next(iter(project_task(PARAMS.task.kind).plots))
    assert any(training_run["run_id"] in key and key.endswith(f"/{plot}") for key in keys)


def test_the_loop_registers_and_promotes_with_credentials_from_the_environment(
    team_project, team_stack
):
    project, run = team_project
    run("make", "register", "promote")
    training_run = json.loads((project / PATHS.training_run).read_text())
    client = MlflowClient(team_stack.tracking_uri)
    champion = client.get_model_version_by_alias(MODEL_NAME, registry.CHAMPION)
    assert champion.run_id == training_run["run_id"]


@pytest.mark.parametrize("credentials", REFUSED_CREDENTIALS.values(), ids=REFUSED_CREDENTIALS)
@pytest.mark.parametrize("command", ["train", "register", "promote"])
def test_the_loop_is_refused_without_valid_credentials(
    team_project, team_stack, command, credentials
):
    project, _ = team_project
    client = MlflowClient(team_stack.tracking_uri)
    before = registry_state(client)
    refused = runner(project, {"MLFLOW_TRACKING_URI": team_stack.tracking_uri, **credentials})
    result = cli(refused, command, check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    # One line that names the fix.
    message = result.stderr.strip().splitlines()[-1]
    assert message.startswith("error: the MLflow tracking server ")
    assert "set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD" in message
    assert registry_state(client) == before


def test_an_account_without_the_permission_is_refused_in_one_line(team_project, team_stack):
    """The server's default permission is READ: a teammate's account cannot log runs into an
    experiment that someone else created until its admin grants more."""
    project, _ = team_project
    reader = {"MLFLOW_TRACKING_USERNAME": "reader", "MLFLOW_TRACKING_PASSWORD": "reader-password"}
    account = {
        "username": reader["MLFLOW_TRACKING_USERNAME"],
        "password": reader["MLFLOW_TRACKING_PASSWORD"],
    }
    create_user = urllib.request.Request(
        f"{team_stack.tracking_uri}/api/2.0/mlflow/users/create",
        data=json.dumps(account).encode(),
        headers={
            "Content-Type": "application/json",
            "Authorization": basic_auth(ADMIN_CREDENTIALS),
        },
        method="POST",
    )
    with urllib.request.urlopen(create_user, timeout=10):
        pass
    training_run = (project / PATHS.training_run).read_bytes()
    refused = runner(project, {"MLFLOW_TRACKING_URI": team_stack.tracking_uri, **reader})
    result = cli(refused, "train", check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    message = result.stderr.strip().splitlines()[-1]
    assert message.startswith("error: the MLflow tracking server does not let 'reader' do this")
    assert "ask its admin for the permission" in message
    assert (project / PATHS.training_run).read_bytes() == training_run


def basic_auth(credentials: dict[str, str]) -> str:
    pair = f"{credentials['MLFLOW_TRACKING_USERNAME']}:{credentials['MLFLOW_TRACKING_PASSWORD']}"
    return "Basic " + base64.b64encode(pair.encode()).decode()


def test_the_server_refuses_anonymous_registry_writes(team_stack):
    """Whatever the client: without an account nobody on the network can create or promote."""
    request = urllib.request.Request(
        f"{team_stack.tracking_uri}/api/2.0/mlflow/registered-models/create",
        data=json.dumps({"name": "planted"}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 401


def test_dvc_pushes_to_and_pulls_from_an_s3_compatible_remote(team_project, team_stack, tmp_path):
    project, run = team_project
    # The remote's address is shared in git; its endpoint and credentials stay local.
    run("dvc", "remote", "add", "--default", "--force", REMOTE, REMOTE_URL)
    set_locally(run, "endpointurl", team_stack.s3_endpoint)
    set_locally(run, "access_key_id", S3_CREDENTIALS["AWS_ACCESS_KEY_ID"])
    set_locally(run, "secret_access_key", S3_CREDENTIALS["AWS_SECRET_ACCESS_KEY"])
    commit_all(run, "Share data through the team's bucket")
    shared_config = run("git", "show", "HEAD:.dvc/config").stdout
    assert REMOTE_URL in shared_config
    assert team_stack.s3_endpoint not in shared_config
    assert S3_CREDENTIALS["AWS_SECRET_ACCESS_KEY"] not in shared_config
    assert run("git", "status", "--porcelain").stdout == ""

    run("make", "push")
    assert team_stack.bucket_keys(DVC_BUCKET, prefix=f"{PROJECT_ROOT.name}/files/md5/")
    assert team_stack.bucket_keys(DVC_BUCKET, prefix=f"{PROJECT_ROOT.name}/runs/")

    # A teammate clones the repository and takes the credentials from the environment.
    clone = tmp_path / "teammate"
    run("git", "clone", "--quiet", str(project), str(clone))
    teammate = runner(clone, {"MLFLOW_TRACKING_URI": team_stack.tracking_uri, **S3_CREDENTIALS})
    set_locally(teammate, "endpointurl", team_stack.s3_endpoint)
    assert not (clone / DVC_OUTPUTS[0]).exists()
    teammate("make", "pull")
    for relative in DVC_OUTPUTS:
        assert (clone / relative).read_bytes() == (project / relative).read_bytes(), relative
    assert "Data and pipelines are up to date." in teammate("dvc", "repro").stdout
