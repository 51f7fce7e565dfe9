import re
from pathlib import Path

import pytest
import yaml

from {{ cookiecutter.package_name }}.core.config import PARAMS_FILE, load_params
from {{ cookiecutter.package_name }}.core.errors import ConfigError
from {{ cookiecutter.package_name }}.core.tasks import TASKS
from {{ cookiecutter.package_name }}.project.model import TrainParams


def write_params(tmp_path: Path, change) -> Path:
    params = yaml.safe_load(PARAMS_FILE.read_text())
    change(params)
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params))
    return path


def foreign_metric(kind: str) -> str:
    """A metric of another task, and not of this one."""
    own = TASKS[kind].metrics
    return next(name for task in TASKS.values() for name in task.metrics if name not in own)


def test_the_project_params_are_valid_and_name_the_tasks_metrics():
    params = load_params()
    metrics = TASKS[params.task.kind].metrics
    assert params.gate.primary_metric in metrics
    assert set(params.gate.max_secondary_drop) <= set(metrics)
    assert params.tune.scoring in metrics


@pytest.mark.parametrize(
    ("key", "change"),
    [
        (
            "gate.primary_metric",
            lambda params, metric: params["gate"].update(primary_metric=metric),
        ),
        (
            "gate.max_secondary_drop",
            lambda params, metric: params["gate"].update(max_secondary_drop={metric: 0.1}),
        ),
        ("tune.scoring", lambda params, metric: params["tune"].update(scoring=metric)),
    ],
    ids=["primary", "secondary", "scoring"],
)
def test_a_metric_of_another_task_is_named_with_the_tasks_own(tmp_path, key, change):
    kind = load_params().task.kind
    metric = foreign_metric(kind)
    path = write_params(tmp_path, lambda params: change(params, metric))
    with pytest.raises(ConfigError) as error:
        load_params(path)
    assert f"{key}: {metric} is not a metric of a {kind} task; its metrics are " in str(error.value)
    assert ", ".join(TASKS[kind].metrics) in str(error.value)


def test_an_unknown_task_names_the_known_ones(tmp_path):
    path = write_params(tmp_path, lambda params: params["task"].update(kind="ranking"))
    with pytest.raises(ConfigError, match=r"task\.kind: Input should be 'binary', 'multiclass'"):
        load_params(path)


def test_an_unknown_key_is_named_with_the_file(tmp_path):
    path = write_params(tmp_path, lambda params: params["train"].update(no_such_setting=0.1))
    with pytest.raises(ConfigError, match=r"params\.yaml: train\.no_such_setting: Extra inputs"):
        load_params(path)


def test_a_wrong_type_is_named_with_the_file(tmp_path):
    path = write_params(tmp_path, lambda params: params["split"].update(test_size="a fifth"))
    with pytest.raises(ConfigError, match=r"params\.yaml: split\.test_size: .*number"):
        load_params(path)


def test_an_out_of_range_value_is_rejected(tmp_path):
    path = write_params(tmp_path, lambda params: params["split"].update(test_size=1.5))
    with pytest.raises(ConfigError, match=r"split\.test_size: Input should be less than 1"):
        load_params(path)


def test_an_unknown_split_strategy_is_rejected(tmp_path):
    path = write_params(tmp_path, lambda params: params["split"].update(strategy="by_group"))
    with pytest.raises(ConfigError, match=r"split\.strategy: Input should be 'auto', 'random'"):
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
        params.split.seed = params.split.seed + 1


def set_search(**changes):
    return lambda params: params["tune"].update(changes)


def searched_setting() -> str:
    return next(iter(load_params().tune.space))


def test_a_search_over_an_unknown_setting_names_the_known_ones(tmp_path):
    path = write_params(tmp_path, set_search(space={"no_such_setting": [0.1]}))
    known = ", ".join(TrainParams.model_fields)
    expected = rf"tune: .*no_such_setting, not in the train section \(its settings: {known}\)"
    with pytest.raises(ConfigError, match=expected):
        load_params(path)


def test_a_search_value_the_train_section_would_refuse_is_named(tmp_path):
    name, value = searched_setting(), ["not", "a value"]
    path = write_params(tmp_path, set_search(method="grid", space={name: [value]}))
    with pytest.raises(ConfigError, match=rf"tune\.space\.{name}: {re.escape(repr(value))}: "):
        load_params(path)


def test_a_grid_search_refuses_ranges(tmp_path):
    name = searched_setting()
    space = {name: {"distribution": "uniform", "low": 1, "high": 5}}
    path = write_params(tmp_path, set_search(method="grid", space=space))
    with pytest.raises(
        ConfigError, match=f"a grid search needs lists of values, not ranges: {name}"
    ):
        load_params(path)


def test_a_range_must_be_ordered(tmp_path):
    space = {searched_setting(): {"distribution": "uniform", "low": 5, "high": 1}}
    path = write_params(tmp_path, set_search(method="random", space=space))
    with pytest.raises(ConfigError, match=r"low \(5\.0\) must be below high \(1\.0\)"):
        load_params(path)


def test_a_log_range_must_be_positive(tmp_path):
    space = {searched_setting(): {"distribution": "loguniform", "low": 0, "high": 1}}
    path = write_params(tmp_path, set_search(method="random", space=space))
    with pytest.raises(ConfigError, match=r"loguniform needs a positive low, not 0\.0"):
        load_params(path)
