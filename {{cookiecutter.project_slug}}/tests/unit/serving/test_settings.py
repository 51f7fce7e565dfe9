from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.core.errors import ConfigError
from {{ cookiecutter.package_name }}.serving.settings import BYTES_PER_ROW, settings_from_environ

# What params.yaml gives where a variable is unset.
DEFAULTS = {
    "model": lambda: "models:/m@champion",
    "labels": lambda: "logs/labels.jsonl",
    "live_quality_result": lambda: "reports/live_quality.json",
    "drift_result": lambda: "reports/drift.json",
}


def test_variables_become_settings():
    settings = settings_from_environ(
        {
            "SERVING_MODEL": "/models/export",
            "SERVING_CHALLENGER": "models:/m@challenger",
            "SERVING_ROLLOUT": "canary",
            "SERVING_CHALLENGER_WEIGHT": "0.25",
            "SERVING_MAX_BATCH_ROWS": "50",
            "SERVING_PREDICTION_LOG": "-",
            "SERVING_MAX_BODY_BYTES": "4096",
            "SERVING_API_KEY": "0123456789abcdef",
            "SERVING_PREDICTION_LOG_REQUEST_KEY": "drop",
            "SERVING_WORKERS": "2",
        },
        DEFAULTS,
    )
    assert settings.workers == 2
    assert (settings.model, settings.challenger) == ("/models/export", "models:/m@challenger")
    assert (settings.rollout, settings.challenger_weight) == ("canary", 0.25)
    assert settings.max_batch_rows == 50
    assert settings.prediction_log_path is None
    assert (settings.body_limit, settings.prediction_log_request_key) == (4096, "drop")
    assert settings.api_key.get_secret_value() == "0123456789abcdef"
    # A secret never shows in a repr or a log line.
    assert "0123456789abcdef" not in repr(settings)


def test_the_body_limit_admits_the_largest_batch_by_default():
    settings = settings_from_environ({"SERVING_MAX_BATCH_ROWS": "10"}, DEFAULTS)
    assert settings.body_limit == 10 * BYTES_PER_ROW
    assert (settings.prediction_log_request_key, settings.workers) == ("hash", 1)


def test_a_default_is_asked_for_only_when_its_variable_is_unset():
    def no_params_here() -> str:
        raise AssertionError("params.yaml was read although its variable is set")

    image = {
        "SERVING_MODEL": "/m",
        "SERVING_LABELS": "-",
        "SERVING_LIVE_QUALITY_RESULT": "/app/reports/live_quality.json",
        "SERVING_DRIFT_RESULT": "/app/reports/drift.json",
    }
    settings = settings_from_environ(image, dict.fromkeys(DEFAULTS, no_params_here))
    assert (settings.model, settings.labels_path) == ("/m", None)
    assert settings.drift_result == Path("/app/reports/drift.json")
    settings = settings_from_environ({"SERVING_CHALLENGER": ""}, DEFAULTS)
    assert (settings.model, settings.challenger) == ("models:/m@champion", None)
    assert settings.labels_path == Path("logs/labels.jsonl")
    assert settings.live_quality_result == Path("reports/live_quality.json")


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"SERVING_ROLLOUT": "blue-green"}, "SERVING_ROLLOUT: Input should be 'none'"),
        ({"SERVING_CHALLENGER_WEIGHT": "1.5"}, "SERVING_CHALLENGER_WEIGHT: Input should be less"),
        ({"SERVING_MAX_BATCH_ROWS": "many"}, "SERVING_MAX_BATCH_ROWS: Input should be a valid"),
        ({"SERVING_ROLLOUT": "shadow"}, "SERVING_ROLLOUT=shadow needs SERVING_CHALLENGER"),
        ({"SERVING_CHALLENGER": "models:/m/2"}, "SERVING_CHALLENGER is set but SERVING_ROLLOUT"),
        ({"SERVING_API_KEY": "short"}, "SERVING_API_KEY: Value should have at least 16"),
        ({"SERVING_MAX_BODY_BYTES": "0"}, "SERVING_MAX_BODY_BYTES: Input should be greater"),
        ({"SERVING_WORKERS": "0"}, "SERVING_WORKERS: Input should be greater"),
        ({"SERVING_PREDICTION_LOG_REQUEST_KEY": "plain"}, "SERVING_PREDICTION_LOG_REQUEST_KEY"),
        ({"SERVING_ROLOUT": "canary"}, "SERVING_ROLOUT is not a setting; they are SERVING_MODEL"),
    ],
)
def test_a_bad_variable_is_named(environ, message):
    with pytest.raises(ConfigError, match=f"^serving settings: .*{message}"):
        settings_from_environ(environ, DEFAULTS)
