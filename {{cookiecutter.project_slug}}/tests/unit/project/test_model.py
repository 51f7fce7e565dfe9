from sklearn.dummy import DummyClassifier, DummyRegressor

from {{ cookiecutter.package_name }}.core.config import load_params
from {{ cookiecutter.package_name }}.core.data import features_and_target
from {{ cookiecutter.package_name }}.core.tasks import project_task
from {{ cookiecutter.package_name }}.project.model import build_model

from tests.synthetic import synthetic_frame


def test_the_model_learns_a_rule_a_constant_cannot():
    params = load_params()
    task = project_task(params.task.kind)
    features, target = features_and_target(synthetic_frame(300, seed=1))
    test_features, test_target = features_and_target(synthetic_frame(100, seed=2))
    model = build_model(params.train, task.kind, seed=params.split.seed).fit(features, target)
    constant = (DummyRegressor() if task.kind == "regression" else DummyClassifier()).fit(
        features, target
    )

    def primary(estimator) -> float:
        scores = task.scores(estimator, test_features)
        return task.evaluate(test_target, scores, params.evaluate.decision_threshold)[
            params.gate.primary_metric
        ]

    metric = task.metrics[params.gate.primary_metric]
    assert metric.improvement(primary(model), primary(constant)) > 0
