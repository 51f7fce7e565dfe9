import json

import pytest

from {{ cookiecutter.package_name }}.core.config import load_params
from {{ cookiecutter.package_name }}.core.data import features_and_target
from {{ cookiecutter.package_name }}.core.errors import UnsafeModelError
from {{ cookiecutter.package_name }}.core.tasks import project_task
from {{ cookiecutter.package_name }}.pipeline import evaluate
from {{ cookiecutter.package_name }}.project.model import build_model

from tests.saved_models import plant_pickle, save_model
from tests.synthetic import synthetic_frame


def test_the_tasks_metrics_and_plots_are_written(tmp_path):
    params = load_params()
    test_data = tmp_path / "test.csv"
    synthetic_frame(60, seed=1).to_csv(test_data, index=False)
    paths = params.paths.model_copy(
        update={
            "test_data": test_data,
            "metrics": tmp_path / "reports/metrics.json",
            "plots": tmp_path / "reports/plots",
        }
    )
    params = params.model_copy(update={"paths": paths})
    task = project_task(params.task.kind)
    features, target = features_and_target(synthetic_frame(150))
    model = build_model(params.train, task.kind, seed=0).fit(features, target)

    results = evaluate.measure(model, params)

    assert set(results) == set(task.metrics)
    assert json.loads(paths.metrics.read_text()) == results
    assert sorted(path.name for path in paths.plots.iterdir()) == sorted(task.plots)
    for name, plot in task.plots.items():
        header = (paths.plots / name).read_text().splitlines()[0].split(",")
        assert {plot["x"], plot["y"]} <= set(header), name


def test_a_model_planted_with_a_pickle_is_refused_before_anything_runs(tmp_path):
    params = load_params()
    features, target = features_and_target(synthetic_frame(150))
    model = build_model(params.train, params.task.kind, seed=0).fit(features, target)
    planted = save_model(model, features, tmp_path / "model")
    marker = tmp_path / "the-model-ran-code"
    plant_pickle(planted, marker)
    paths = params.paths.model_copy(update={"model": planted})

    with pytest.raises(UnsafeModelError) as refused:
        evaluate.run(params.model_copy(update={"paths": paths}))
    assert str(refused.value).startswith(f"{planted}: refused to load the model")
    assert not marker.exists()
