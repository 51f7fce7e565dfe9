"""A registry in the test's own directory: an MLflow sqlite store holding two versions of a model
of the project's description, one worse than the other by construction; and the same store with
held-out rows for the quality gate to judge them on."""

import math
import shutil
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
import yaml
from mlflow import MlflowClient
from mlflow.entities.model_registry import ModelVersion

from {{ cookiecutter.package_name }}.core.config import PARAMS_FILE, Params, load_params
from {{ cookiecutter.package_name }}.core.data import features_and_target, write_table
from {{ cookiecutter.package_name }}.core.tasks import project_task
from {{ cookiecutter.package_name }}.infra import tracking
from {{ cookiecutter.package_name }}.project.model import build_model

from tests.saved_models import save_model
from tests.synthetic import synthetic_frame
from tests.unit.descriptions import constant_model

PARAMS = load_params()
TRAINING_ROWS = max(300, PARAMS.data.min_rows)


@dataclass(frozen=True)
class RegistryStore:
    params: Params
    client: MlflowClient
    name: str
    # Predicts the same for every row.
    worse: str
    # The project's model, fitted on a target that the features decide.
    better: str

    def aliases(self) -> dict[str, str]:
        found = self.client.get_registered_model(self.name).aliases
        return {alias: str(version) for alias, version in found.items()}

    def set_aliases(self, **versions: str) -> None:
        """Point each alias named (champion=..., challenger=...) at its version."""
        for alias, version in versions.items():
            self.client.set_registered_model_alias(self.name, alias, version)

    def versions(self) -> list[str]:
        found = self.client.search_model_versions(f"name = '{self.name}'")
        return sorted((str(version.version) for version in found), key=int)

    def with_params(self, **sections: dict) -> "RegistryStore":
        """This store, with these sections of its params.yaml updated (gate={...}, ...)."""
        values = yaml.safe_load(PARAMS_FILE.read_text())
        for section, updates in sections.items():
            values[section].update(updates)
        PARAMS_FILE.write_text(yaml.safe_dump(values))
        return replace(self, params=load_params())

    def add_version(self, saved: Path, with_run: bool = True, **tags: str) -> ModelVersion:
        """Register the model saved in `saved` as a new version, logged by a run of its own
        or, without one, registered from its directory."""
        if not with_run:
            return self.client.create_model_version(self.name, str(saved), tags=tags)
        experiment = self.client.get_experiment_by_name(self.params.mlflow.experiment)
        return log_version(self.client, experiment.experiment_id, self.name, saved, tags)


def log_version(
    client: MlflowClient, experiment: str, name: str, saved: Path, tags: dict[str, str]
) -> ModelVersion:
    """Log a saved model as a run's artifact, and register it from that run."""
    run_id = client.create_run(experiment).info.run_id
    client.log_artifacts(run_id, str(saved), "model")
    client.set_terminated(run_id)
    source = f"{client.get_run(run_id).info.artifact_uri}/model"
    return client.create_model_version(name, source, run_id=run_id, tags=tags)


@pytest.fixture(scope="session")
def registered_database(tmp_path_factory) -> Path:
    """Built once per session (creating the store's schema takes seconds): a store with the
    registered model's two versions, the worse as version 1, and no alias. Their files stay in
    this directory, which every copy of the database refers to."""
    directory = tmp_path_factory.mktemp("registry")
    database = directory / "mlflow.db"
    client = MlflowClient(f"sqlite:///{database}")
    experiment = client.create_experiment(PARAMS.mlflow.experiment, str(directory / "artifacts"))
    frame = synthetic_frame(TRAINING_ROWS, seed=1)
    features, target = features_and_target(frame)
    models = [
        constant_model(project_task(PARAMS.task.kind), frame),
        build_model(PARAMS.train, PARAMS.task.kind, seed=0).fit(features, target),
    ]
    name = PARAMS.mlflow.model_name
    client.create_registered_model(name)
    for number, model in enumerate(models, start=1):
        saved = save_model(model, features, directory / f"model-{number}")
        log_version(client, experiment, name, saved, {})
    return database


@pytest.fixture
def registry_store(registered_database, tmp_path, monkeypatch) -> RegistryStore:
    """A directory with the project's params and a copy of the registered store, which the
    project's commands use from there, connected to as they connect (MLflow's own calls, such
    as loading a registered model, go there too)."""
    database = Path(shutil.copy(registered_database, tmp_path / registered_database.name))
    shutil.copy(PARAMS_FILE, tmp_path / PARAMS_FILE.name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{database}")
    return RegistryStore(
        load_params(), tracking.connect(), PARAMS.mlflow.model_name, worse="1", better="2"
    )


@pytest.fixture
def gate_store(registry_store) -> RegistryStore:
    """The registry store, with held-out rows to judge on and a gate whose only bar is the
    champion: every value of the primary metric is acceptable, and any improvement will do."""
    params = registry_store.params
    write_table(synthetic_frame(200, seed=2), params.paths.test_data)
    primary = project_task(params.task.kind).metrics[params.gate.primary_metric]
    worst = -math.inf if primary.greater_is_better else math.inf
    return registry_store.with_params(gate={"worst_acceptable": worst, "min_improvement": 0.0})
