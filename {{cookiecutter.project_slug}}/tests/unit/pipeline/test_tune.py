import json

from {{ cookiecutter.package_name }}.core import tuning
from {{ cookiecutter.package_name }}.core.config import load_params
from {{ cookiecutter.package_name }}.pipeline import tune

from tests.changed_params import another_train_value


def params_without_search(tmp_path):
    params = load_params()
    paths = params.paths.model_copy(update={"tuned_params": tmp_path / "tuned_params.json"})
    search = params.tune.model_copy(update={"enabled": False})
    return params.model_copy(update={"paths": paths, "tune": search})


def test_without_a_search_train_uses_its_own_section(tmp_path):
    params = params_without_search(tmp_path)
    assert tune.run(params) == {"enabled": False, "best_params": {}}
    assert json.loads(params.paths.tuned_params.read_text())["enabled"] is False
    assert tuning.tuned_train_params(params) == params.train
    assert tuning.tune_run_id(params) is None


def test_the_best_values_replace_the_train_sections(tmp_path):
    params = params_without_search(tmp_path)
    name, best = another_train_value(params)
    result = {"enabled": True, "best_params": {name: best}, "run_id": "abc"}
    params.paths.tuned_params.write_text(json.dumps(result))
    assert tuning.tuned_train_params(params) == params.train.model_copy(update={name: best})
    assert tuning.tune_run_id(params) == "abc"
