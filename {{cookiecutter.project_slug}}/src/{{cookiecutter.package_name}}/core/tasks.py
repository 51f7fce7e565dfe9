"""The learning tasks: what a model returns, how it is judged, and in which direction is better.

One declaration per task, read by everything that judges or returns predictions: evaluate and
its plots, the gate, the search's scoring, predict, score, serving and the prediction log.

The output contract, a table with one row per input row:
- binary: `prediction` (the label) and `probability` (of the positive label);
- multiclass: `prediction` (the label) and `probability_<label>` for every label;
- regression: `prediction` (the value).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np
import pandas as pd

from {{ cookiecutter.package_name }}.core.errors import ConfigError

if TYPE_CHECKING:
    # At run time only where a task is built: params.yaml loads without pandera.
    from {{ cookiecutter.package_name }}.core.description import DataDescription

TaskKind = Literal["binary", "multiclass", "regression"]
PREDICTION = "prediction"
PROBABILITY = "probability"

# Scores: what the model gives for each row. Class probabilities (rows x classes) for
# classification, the predicted values for regression.
Scores = np.ndarray
MetricFunction = Callable[[np.ndarray, Scores, np.ndarray], float]
# (actual classes or values, predicted classes or values) of one group of rows -> value
GroupRate = Callable[[np.ndarray, np.ndarray], float]


@dataclass(frozen=True)
class Metric:
    name: str
    greater_is_better: bool
    # (actual classes or values, scores, predicted classes or values) -> value
    compute: MetricFunction
    # scikit-learn's scoring name, for the search; it always means greater is better.
    scorer: str

    def improvement(self, new: float, old: float) -> float:
        """How much better `new` is than `old`: positive is better, in either direction."""
        return new - old if self.greater_is_better else old - new

    def acceptable(self, value: float, worst: float) -> bool:
        return value >= worst if self.greater_is_better else value <= worst


def _metrics(*metrics: Metric) -> dict[str, Metric]:
    return {metric.name: metric for metric in metrics}


def _sk(name: str) -> Callable:
    # scikit-learn loads on first use, so reading params.yaml stays fast.
    def function(*args, **kwargs):
        from sklearn import metrics

        return float(getattr(metrics, name)(*args, **kwargs))

    return function


_accuracy, _precision, _recall, _f1 = (
    _sk("accuracy_score"),
    _sk("precision_score"),
    _sk("recall_score"),
    _sk("f1_score"),
)
_roc_auc, _log_loss, _balanced = (
    _sk("roc_auc_score"),
    _sk("log_loss"),
    _sk("balanced_accuracy_score"),
)
_mae, _rmse, _r2 = (
    _sk("mean_absolute_error"),
    _sk("root_mean_squared_error"),
    _sk("r2_score"),
)


def _share(hits: np.ndarray, among: np.ndarray) -> float:
    """The share of the `among` rows that are hits; NaN when there are no such rows."""
    return float(hits[among].mean()) if among.any() else float("nan")


def _class_average(rate: Callable[[np.ndarray, np.ndarray, int], float]) -> GroupRate:
    # Averaged over the classes a group's rows hold or are predicted as, skipping a class the
    # rate is undefined for (no row of it, or no row of another).
    def average(actual: np.ndarray, predicted: np.ndarray) -> float:
        rates = [rate(actual, predicted, label) for label in np.union1d(actual, predicted)]
        defined = [value for value in rates if not np.isnan(value)]
        return float(np.mean(defined)) if defined else float("nan")

    return average


def _one_class_safe(compute: MetricFunction) -> MetricFunction:
    # roc_auc is undefined when the actual values hold one class only (a tiny test split).
    def guarded(actual, scores, predicted) -> float:
        return compute(actual, scores, predicted) if len(np.unique(actual)) > 1 else float("nan")

    return guarded


@dataclass(frozen=True)
class Task:
    kind: ClassVar[TaskKind]
    metrics: ClassVar[dict[str, Metric]]
    # Split by class, so a rare class reaches both the train and the test set.
    stratify: ClassVar[bool]
    # Settings params.yaml starts with: the gate's rules and the search's scoring.
    default_primary: ClassVar[str]
    default_worst_acceptable: ClassVar[float]
    default_secondary_drop: ClassVar[dict[str, float]]
    # What the model card compares across the groups of a sensitive column (params.yaml
    # card.sensitive_column): how often each group is predicted what, and how often rightly.
    group_rates: ClassVar[dict[str, GroupRate]]
    # The plots `evaluate` writes, as dvc.yaml's top-level `plots` declares them.
    plots: ClassVar[dict[str, dict]]

    data: "DataDescription"

    @property
    def classes(self) -> tuple:
        return self.data.target.classes

    def scores(self, model, features: pd.DataFrame) -> Scores:
        return model.predict_proba(features)

    def predicted(self, scores: Scores, decision_threshold: float) -> np.ndarray:
        """Predicted classes (0..k-1) or values."""
        return scores.argmax(axis=1)

    def output_columns(self) -> dict[str, str]:
        """The output contract's columns and their pandas types."""
        raise NotImplementedError

    def output_values(self, scores: Scores, decision_threshold: float) -> dict[str, np.ndarray]:
        """The output contract for these scores, an array per column: labels as the
        description's own values, numbers as floats. Serving answers with these, since a
        DataFrame would cost a one-row request a fifth of its time."""
        raise NotImplementedError

    def outputs(self, scores: Scores, decision_threshold: float) -> pd.DataFrame:
        """The output contract for these scores, as a table of the contract's types."""
        types = self.output_columns()
        values = self.output_values(scores, decision_threshold)
        return pd.DataFrame({name: pd.Series(values[name], dtype=types[name]) for name in types})

    def evaluate(
        self, actual: np.ndarray, scores: Scores, decision_threshold: float
    ) -> dict[str, float]:
        return self.measure(actual, scores, self.predicted(scores, decision_threshold))

    def measure(
        self, actual: np.ndarray, scores: Scores, predicted: np.ndarray
    ) -> dict[str, float]:
        """Every metric, for predictions already made (classes 0..k-1, or values)."""
        return {
            name: metric.compute(actual, scores, predicted) for name, metric in self.metrics.items()
        }

    def read_outputs(self, outputs: pd.DataFrame) -> tuple[Scores, np.ndarray]:
        """The scores and the predicted classes (0..k-1) or values behind the output contract's
        columns, as `outputs` wrote them: what a prediction log holds, read back to measure."""
        predicted = self.data.encode_target(outputs[PREDICTION])
        return self._scores_of(outputs), predicted

    def _scores_of(self, outputs: pd.DataFrame) -> Scores:
        raise NotImplementedError

    def plot_data(
        self, actual: np.ndarray, scores: Scores, decision_threshold: float
    ) -> dict[str, pd.DataFrame]:
        """The data of each plot in `plots`, by file name."""
        predicted = self.predicted(scores, decision_threshold)
        return {
            "confusion.csv": pd.DataFrame(
                {
                    "actual": self.data.decode_classes(actual),
                    "predicted": self.data.decode_classes(predicted),
                }
            )
        }


_CONFUSION_PLOT = {
    "confusion.csv": {
        "template": "confusion",
        "x": "predicted",
        "y": "actual",
        "title": "Confusion matrix on the test set",
    }
}


@dataclass(frozen=True)
class BinaryTask(Task):
    kind = "binary"
    stratify = True
    metrics = _metrics(
        Metric("accuracy", True, lambda a, s, p: _accuracy(a, p), "accuracy"),
        Metric("precision", True, lambda a, s, p: _precision(a, p, zero_division=0), "precision"),
        Metric("recall", True, lambda a, s, p: _recall(a, p, zero_division=0), "recall"),
        Metric("f1", True, lambda a, s, p: _f1(a, p, zero_division=0), "f1"),
        Metric("roc_auc", True, _one_class_safe(lambda a, s, p: _roc_auc(a, s[:, 1])), "roc_auc"),
        Metric("log_loss", False, lambda a, s, p: _log_loss(a, s, labels=[0, 1]), "neg_log_loss"),
    )
    default_primary = "roc_auc"
    default_worst_acceptable = 0.6
    default_secondary_drop: ClassVar[dict[str, float]] = {"accuracy": 0.02}
    # The share of rows predicted positive: of all rows, of the positive ones (true positive
    # rate) and of the negative ones (false positive rate).
    group_rates: ClassVar[dict[str, GroupRate]] = {
        "selection_rate": lambda a, p: _share(p == 1, np.ones(len(a), dtype=bool)),
        "tpr": lambda a, p: _share(p == 1, a == 1),
        "fpr": lambda a, p: _share(p == 1, a == 0),
    }
    plots: ClassVar[dict[str, dict]] = {
        **_CONFUSION_PLOT,
        "roc.csv": {"template": "simple", "x": "fpr", "y": "tpr", "title": "ROC curve"},
        "precision_recall.csv": {
            "template": "simple",
            "x": "recall",
            "y": "precision",
            "title": "Precision and recall",
        },
    }

    def predicted(self, scores: Scores, decision_threshold: float) -> np.ndarray:
        return (scores[:, 1] >= decision_threshold).astype(int)

    def output_columns(self) -> dict[str, str]:
        return {PREDICTION: _label_dtype(self.classes), PROBABILITY: "float64"}

    def output_values(self, scores: Scores, decision_threshold: float) -> dict[str, np.ndarray]:
        return {
            PREDICTION: self.data.decode_classes(self.predicted(scores, decision_threshold)),
            PROBABILITY: scores[:, 1],
        }

    def _scores_of(self, outputs: pd.DataFrame) -> Scores:
        positive = outputs[PROBABILITY].to_numpy(dtype=float)
        return np.column_stack([1 - positive, positive])

    def plot_data(self, actual, scores, decision_threshold) -> dict[str, pd.DataFrame]:
        from sklearn import metrics

        plots = super().plot_data(actual, scores, decision_threshold)
        if len(np.unique(actual)) > 1:
            fpr, tpr, _ = metrics.roc_curve(actual, scores[:, 1])
            precision, recall, _ = metrics.precision_recall_curve(actual, scores[:, 1])
        else:
            fpr = tpr = precision = recall = np.array([])
        plots["roc.csv"] = pd.DataFrame({"fpr": fpr, "tpr": tpr})
        plots["precision_recall.csv"] = pd.DataFrame({"recall": recall, "precision": precision})
        return plots


@dataclass(frozen=True)
class MulticlassTask(Task):
    kind = "multiclass"
    stratify = True
    metrics = _metrics(
        Metric("accuracy", True, lambda a, s, p: _accuracy(a, p), "accuracy"),
        Metric("balanced_accuracy", True, lambda a, s, p: _balanced(a, p), "balanced_accuracy"),
        Metric(
            "f1_macro",
            True,
            lambda a, s, p: _f1(a, p, average="macro", zero_division=0),
            "f1_macro",
        ),
        Metric(
            "log_loss",
            False,
            lambda a, s, p: _log_loss(a, s, labels=list(range(s.shape[1]))),
            "neg_log_loss",
        ),
    )
    default_primary = "f1_macro"
    default_worst_acceptable = 0.5
    default_secondary_drop: ClassVar[dict[str, float]] = {"accuracy": 0.02}
    # Per class, as for a binary task with that class positive, then averaged over the classes.
    group_rates: ClassVar[dict[str, GroupRate]] = {
        "accuracy": lambda a, p: _share(p == a, np.ones(len(a), dtype=bool)),
        "tpr_macro": _class_average(lambda a, p, label: _share(p == label, a == label)),
        "fpr_macro": _class_average(lambda a, p, label: _share(p == label, a != label)),
    }
    plots: ClassVar[dict[str, dict]] = _CONFUSION_PLOT

    def output_columns(self) -> dict[str, str]:
        return {
            PREDICTION: _label_dtype(self.classes),
            **{probability_column(label): "float64" for label in self.classes},
        }

    def output_values(self, scores: Scores, decision_threshold: float) -> dict[str, np.ndarray]:
        return {
            PREDICTION: self.data.decode_classes(self.predicted(scores, decision_threshold)),
            **{
                probability_column(label): scores[:, index]
                for index, label in enumerate(self.classes)
            },
        }

    def _scores_of(self, outputs: pd.DataFrame) -> Scores:
        columns = [probability_column(label) for label in self.classes]
        return outputs[columns].to_numpy(dtype=float)


@dataclass(frozen=True)
class RegressionTask(Task):
    kind = "regression"
    stratify = False
    metrics = _metrics(
        Metric("rmse", False, lambda a, s, p: _rmse(a, p), "neg_root_mean_squared_error"),
        Metric("mae", False, lambda a, s, p: _mae(a, p), "neg_mean_absolute_error"),
        Metric("r2", True, lambda a, s, p: _r2(a, p), "r2"),
    )
    default_primary = "r2"
    default_worst_acceptable = 0.1
    default_secondary_drop: ClassVar[dict[str, float]] = {}
    # What the model predicts for a group on average, and how far off it is.
    group_rates: ClassVar[dict[str, GroupRate]] = {
        "mean_prediction": lambda a, p: float(np.mean(p)),
        "mae": lambda a, p: _mae(a, p),
    }
    plots: ClassVar[dict[str, dict]] = {
        "predicted_vs_actual.csv": {
            "template": "scatter",
            "x": "actual",
            "y": "predicted",
            "title": "Predicted against actual on the test set",
        },
        "residuals.csv": {
            "template": "scatter",
            "x": "predicted",
            "y": "residual",
            "title": "Residuals (actual - predicted) against predicted",
        },
    }

    def scores(self, model, features: pd.DataFrame) -> Scores:
        return np.asarray(model.predict(features), dtype=float)

    def predicted(self, scores: Scores, decision_threshold: float) -> np.ndarray:
        return scores

    def output_columns(self) -> dict[str, str]:
        return {PREDICTION: "float64"}

    def output_values(self, scores: Scores, decision_threshold: float) -> dict[str, np.ndarray]:
        return {PREDICTION: scores}

    def _scores_of(self, outputs: pd.DataFrame) -> Scores:
        return outputs[PREDICTION].to_numpy(dtype=float)

    def plot_data(self, actual, scores, decision_threshold) -> dict[str, pd.DataFrame]:
        return {
            "predicted_vs_actual.csv": pd.DataFrame({"actual": actual, "predicted": scores}),
            "residuals.csv": pd.DataFrame({"predicted": scores, "residual": actual - scores}),
        }


TASKS: dict[str, type[Task]] = {
    task.kind: task for task in (BinaryTask, MulticlassTask, RegressionTask)
}


def probability_column(label) -> str:
    return f"{PROBABILITY}_{label}"


def _label_dtype(classes: tuple) -> str:
    if all(isinstance(label, bool) for label in classes):
        return "bool"
    return "int64" if all(isinstance(label, int) for label in classes) else "string"


def project_task(kind: TaskKind) -> Task:
    """The project's task: params.yaml's `task.kind` for the data that schema.py describes."""
    from {{ cookiecutter.package_name }}.project.schema import DATA

    return task_for(kind, DATA)


def task_for(kind: TaskKind, data: "DataDescription") -> Task:
    """The task of params.yaml's `task.kind`, checked against a data description's target."""
    from {{ cookiecutter.package_name }}.core.description import DESCRIPTION_FILE

    target = data.target
    labels = target.labels
    where = (
        f"params.yaml task.kind is {kind}, "
        f"but {DESCRIPTION_FILE} declares the target {target.name!r}"
    )
    if kind == "regression" and labels is not None:
        raise ConfigError(
            f"{where} with labels {list(labels)}; a regression target has none (labels=None)"
        )
    if kind != "regression" and labels is None:
        raise ConfigError(f"{where} without labels; list them: Target(..., labels=(...))")
    if kind == "binary":
        if len(labels) != 2:
            raise ConfigError(
                f"{where} with {len(labels)} labels {list(labels)}; a binary task has 2 "
                "(or set task.kind: multiclass)"
            )
        if target.positive not in labels:
            raise ConfigError(
                f"{where} with positive={target.positive!r}, not one of its labels {list(labels)}"
            )
    if kind == "multiclass" and len(labels) < 3:
        raise ConfigError(
            f"{where} with {len(labels)} labels; a multiclass task has 3 or more "
            "(or set task.kind: binary)"
        )
    return TASKS[kind](data)
