"""Stage evaluate: score the model on the held-out set; write the task's metrics and plots."""

import json

import mlflow

from {{ cookiecutter.package_name }}.core import model_files
from {{ cookiecutter.package_name }}.core.config import Params
from {{ cookiecutter.package_name }}.core.data import features_and_target, read_table, write_table
from {{ cookiecutter.package_name }}.core.tasks import project_task
from {{ cookiecutter.package_name }}.infra import tracking


def run(params: Params) -> dict[str, float]:
    results = measure(model_files.load_estimator(params.paths.model), params)
    training_run = json.loads(params.paths.training_run.read_text())
    tracking.connect()
    with mlflow.start_run(run_id=training_run["run_id"]):
        mlflow.log_metrics(
            {f"test_{name}": value for name, value in results.items()},
            model_id=training_run["model_id"],
        )
        mlflow.log_artifacts(str(params.paths.plots), artifact_path="plots")
    return results


def measure(model, params: Params) -> dict[str, float]:
    """Score a model on the test set; write the task's metrics and plot data, and return the
    metrics."""
    task = project_task(params.task.kind)
    features, actual = features_and_target(read_table(params.paths.test_data))
    scores = task.scores(model, features)
    threshold = params.evaluate.decision_threshold
    results = task.evaluate(actual, scores, threshold)

    params.paths.metrics.parent.mkdir(parents=True, exist_ok=True)
    params.paths.metrics.write_text(json.dumps(results, indent=2) + "\n")
    for name, frame in task.plot_data(actual, scores, threshold).items():
        write_table(frame, params.paths.plots / name)
    return results
