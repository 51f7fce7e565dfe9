import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.pipeline.evaluate import classification_metrics


def test_a_perfect_ranking_scores_one():
    target = pd.Series([0, 0, 1, 1])
    metrics = classification_metrics(target, np.array([0.1, 0.2, 0.8, 0.9]), decision_threshold=0.5)
    assert metrics == {"accuracy": 1.0, "precision": 1.0, "recall": 1.0, "f1": 1.0, "roc_auc": 1.0}


def test_the_threshold_decides_the_class():
    target = pd.Series([0, 1, 1, 1])
    probability = np.array([0.1, 0.4, 0.6, 0.9])
    assert classification_metrics(target, probability, 0.5)["recall"] == pytest.approx(2 / 3)
    assert classification_metrics(target, probability, 0.3)["recall"] == 1.0
