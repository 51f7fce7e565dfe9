"""Stage evaluate: score the model on the held-out set; write metrics and plot data."""

import json

import mlflow
import numpy as np
import pandas as pd
from sklearn import metrics as sk_metrics

from {{ cookiecutter.package_name }} import tracking
from {{ cookiecutter.package_name }}.config import Params
from {{ cookiecutter.package_name }}.data import features_and_target, read_table, write_table


def classification_metrics(
    target: pd.Series, probability: np.ndarray, decision_threshold: float
) -> dict[str, float]:
    """Return the metrics the quality gate can compare, from positive-class probabilities."""
    predicted = (probability >= decision_threshold).astype(int)
    return {
        "accuracy": float(sk_metrics.accuracy_score(target, predicted)),
        "precision": float(sk_metrics.precision_score(target, predicted, zero_division=0)),
        "recall": float(sk_metrics.recall_score(target, predicted, zero_division=0)),
        "f1": float(sk_metrics.f1_score(target, predicted, zero_division=0)),
        "roc_auc": float(sk_metrics.roc_auc_score(target, probability)),
    }


def run(params: Params) -> dict[str, float]:
    test = read_table(params.paths.test_data)
    features, target = features_and_target(test)
    model = mlflow.sklearn.load_model(str(params.paths.model))
    probability = model.predict_proba(features)[:, 1]
    threshold = params.evaluate.decision_threshold
    results = classification_metrics(target, probability, threshold)

    params.paths.metrics.parent.mkdir(parents=True, exist_ok=True)
    params.paths.metrics.write_text(json.dumps(results, indent=2) + "\n")
    predicted = (probability >= threshold).astype(int)
    write_table(
        pd.DataFrame({"actual": target.to_numpy(), "predicted": predicted}),
        params.paths.confusion_plot,
    )
    fpr, tpr, _ = sk_metrics.roc_curve(target, probability)
    write_table(pd.DataFrame({"fpr": fpr, "tpr": tpr}), params.paths.roc_plot)

    training_run = json.loads(params.paths.training_run.read_text())
    tracking.connect()
    with mlflow.start_run(run_id=training_run["run_id"]):
        mlflow.log_metrics(
            {f"test_{name}": value for name, value in results.items()},
            model_id=training_run["model_id"],
        )
        for plot in (params.paths.confusion_plot, params.paths.roc_plot):
            mlflow.log_artifact(str(plot), artifact_path="plots")
    return results
