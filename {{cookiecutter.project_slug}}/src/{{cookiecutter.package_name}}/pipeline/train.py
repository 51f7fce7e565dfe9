"""Stage train: fit the model, log it to MLflow with its lineage, and keep a local copy."""

import json
import logging
import shutil
import warnings

import mlflow
import mlflow.sklearn
from mlflow.exceptions import MlflowException
from mlflow.models import infer_signature

from {{ cookiecutter.package_name }}.core.config import Params
from {{ cookiecutter.package_name }}.core.data import features_and_target, read_table
from {{ cookiecutter.package_name }}.core.tuning import tune_run_id, tuned_train_params
from {{ cookiecutter.package_name }}.infra import tracking
from {{ cookiecutter.package_name }}.project.model import TRUSTED_TYPES, build_model
from {{ cookiecutter.package_name }}.registry import lineage

# What MLflow says of the environment while it logs the model: that it found the project's
# uv.lock (which it stores beside the model) and that pip, which uv-made environments lack, has
# no version for the model's conda.yaml. The requirements are listed below, so neither asks
# anything of the reader.
QUIET_LOGGERS = ["mlflow.utils.uv_utils", "mlflow.utils.environment"]


def run(params: Params) -> dict:
    train = read_table(params.paths.train_data)
    features, target = features_and_target(train)
    train_params = tuned_train_params(params)
    model = build_model(train_params, params.task.kind, seed=params.split.seed).fit(
        features, target
    )

    client = tracking.connect()
    experiment_id = tracking.ensure_experiment(client, params.mlflow.experiment)
    raw_data_dvc = params.paths.raw_data.with_name(params.paths.raw_data.name + ".dvc")
    tags = {
        **lineage.git_facts(outputs=list(params.paths.model_dump().values())),
        **lineage.ci_facts(),
        "raw_data_md5": lineage.dvc_file_hash(raw_data_dvc)
        if raw_data_dvc.exists()
        else "untracked",
        "train_data_md5": lineage.file_md5(params.paths.train_data),
        # The search whose best settings this run used, if one ran.
        "tune_run_id": tune_run_id(params) or "none",
    }
    with mlflow.start_run(experiment_id=experiment_id, tags=tags) as run, warnings.catch_warnings():
        # A local path matches two of MLflow's equivalent source types, and the integer class
        # labels trigger a hint about missing values that cannot occur in them.
        warnings.filterwarnings("ignore", message="The specified dataset source can be interpreted")
        warnings.filterwarnings("ignore", message="Hint: Inferred schema contains integer")
        mlflow.log_params(
            {**train_params.model_dump(), **{f"split.{k}": v for k, v in params.split}}
        )
        _log_training_data(
            mlflow.data.from_pandas(train, source=str(params.paths.train_data), name="train")
        )
        for name in QUIET_LOGGERS:
            logging.getLogger(name).setLevel(logging.ERROR)
        model_info = mlflow.sklearn.log_model(
            model,
            name="model",
            signature=infer_signature(features, model.predict(features)),
            input_example=features.head(3),
            # Listing requirements skips MLflow's slow inference of them.
            pip_requirements=mlflow.sklearn.get_default_pip_requirements(),
            serialization_format="skops",
            # The project's reviewed list, not one computed from the model.
            skops_trusted_types=TRUSTED_TYPES,
        )

    # The DVC output is the logged model itself, so its hash identifies what was registered.
    shutil.rmtree(params.paths.model, ignore_errors=True)
    params.paths.model.parent.mkdir(parents=True, exist_ok=True)
    mlflow.artifacts.download_artifacts(
        artifact_uri=model_info.model_uri, dst_path=str(params.paths.model)
    )
    training_run = {
        "run_id": run.info.run_id,
        "experiment_id": experiment_id,
        "model_id": model_info.model_id,
        "model_uri": model_info.model_uri,
    }
    params.paths.training_run.write_text(json.dumps(training_run, indent=2) + "\n")
    return training_run


def _log_training_data(dataset) -> None:
    try:
        mlflow.log_input(dataset, context="training")
    except MlflowException as error:
        # Runs that train on the same data at the same moment (teammates sharing a store) may
        # both try to add it to the experiment; the store keeps one and refuses the other,
        # which then finds it there to link to.
        if "unique constraint" not in str(error).lower():
            raise
        mlflow.log_input(dataset, context="training")
