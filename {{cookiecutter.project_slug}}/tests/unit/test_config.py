from pathlib import Path

import pytest
import yaml

from {{ cookiecutter.package_name }}.config import PARAMS_FILE, load_params
from {{ cookiecutter.package_name }}.errors import ConfigError


def write_params(tmp_path: Path, change) -> Path:
    params = yaml.safe_load(PARAMS_FILE.read_text())
    change(params)
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params))
    return path


def test_the_project_params_are_valid():
    params = load_params()
    assert 0 < params.split.test_size < 1
    assert params.gate.primary_metric in {"accuracy", "precision", "recall", "f1", "roc_auc"}


def test_an_unknown_key_is_named_with_the_file(tmp_path):
    path = write_params(tmp_path, lambda params: params["train"].update(learning_rate=0.1))
    with pytest.raises(ConfigError, match=r"params\.yaml: train\.learning_rate: Extra inputs"):
        load_params(path)


def test_a_wrong_type_is_named_with_the_file(tmp_path):
    path = write_params(tmp_path, lambda params: params["split"].update(test_size="a fifth"))
    with pytest.raises(ConfigError, match=r"params\.yaml: split\.test_size: .*number"):
        load_params(path)


def test_an_out_of_range_value_is_rejected(tmp_path):
    path = write_params(tmp_path, lambda params: params["split"].update(test_size=1.5))
    with pytest.raises(ConfigError, match=r"split\.test_size: Input should be less than 1"):
        load_params(path)


def test_drift_thresholds_are_checked(tmp_path):
    path = write_params(tmp_path, lambda params: params["drift"].update(p_value=5))
    with pytest.raises(ConfigError, match=r"drift\.p_value: Input should be less than 1"):
        load_params(path)


def test_a_missing_file_says_where_to_run_from(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        load_params(tmp_path / "params.yaml")


def test_params_are_frozen():
    params = load_params()
    with pytest.raises(ValueError, match="frozen"):
        params.train.C = 2.0


def set_search(**changes):
    return lambda params: params["tune"].update(changes)


def test_a_search_over_an_unknown_setting_names_the_known_ones(tmp_path):
    path = write_params(tmp_path, set_search(space={"learning_rate": [0.1]}))
    with pytest.raises(
        ConfigError, match=r"tune: .*learning_rate, not in the train section .*: C,"
    ):
        load_params(path)


def test_a_search_value_the_train_section_would_refuse_is_named(tmp_path):
    path = write_params(tmp_path, set_search(space={"C": [1.0, -1.0]}))
    with pytest.raises(ConfigError, match=r"tune\.space\.C: -1\.0: Input should be greater than 0"):
        load_params(path)


def test_a_grid_search_refuses_ranges(tmp_path):
    space = {"C": {"distribution": "loguniform", "low": 0.01, "high": 10}}
    path = write_params(tmp_path, set_search(method="grid", space=space))
    with pytest.raises(ConfigError, match="a grid search needs lists of values, not ranges: C"):
        load_params(path)


def test_a_range_must_be_ordered(tmp_path):
    space = {"C": {"distribution": "uniform", "low": 5, "high": 1}}
    path = write_params(tmp_path, set_search(method="random", space=space))
    with pytest.raises(ConfigError, match=r"low \(5\.0\) must be below high \(1\.0\)"):
        load_params(path)
