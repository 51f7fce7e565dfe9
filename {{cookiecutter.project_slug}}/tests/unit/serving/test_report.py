import json

import pytest

from {{ cookiecutter.package_name }}.errors import ProjectError
from {{ cookiecutter.package_name }}.serving.prediction_log import PredictionLog
from {{ cookiecutter.package_name }}.serving.report import build_report


def log_prediction(log, request_id, version, mode, predictions, latency_ms=1.0):
    outputs = [{"probability": value / 10, "prediction": value} for value in predictions]
    log.write(
        request_id=request_id,
        request_key=None,
        model_version=version,
        role="champion" if version == "1" else "challenger",
        mode=mode,
        latency_ms=latency_ms,
        inputs_json=b"[" + b",".join(b"{}" for _ in predictions) + b"]",
        outputs_json=json.dumps(outputs),
    )


def test_the_report_compares_versions_and_their_agreement(tmp_path):
    path = tmp_path / "predictions.jsonl"
    log = PredictionLog(path)
    log_prediction(log, "a", "1", "served", [1, 0])
    log_prediction(log, "a", "2", "shadow", [1, 1], latency_ms=3.0)
    log_prediction(log, "b", "1", "served", [0])
    log_prediction(log, "b", "2", "shadow", [0], latency_ms=3.0)
    log.close()
    with path.open("a") as stream:
        stream.write('{"half a line')

    report = build_report(path)
    assert (report.lines, report.skipped_lines) == (4, 1)
    champion, challenger = report.versions
    assert (champion.model_version, champion.requests, champion.rows) == ("1", 2, 3)
    assert champion.positive_rate == pytest.approx(1 / 3)
    assert (challenger.mode, challenger.latency_p50_ms) == ("shadow", 3.0)
    (agreement,) = report.agreements
    assert (agreement.requests, agreement.rows) == (2, 3)
    assert agreement.agreement_rate == pytest.approx(2 / 3)
    assert "agree on 66.7% of 3 rows in 2 requests" in report.to_markdown()


def test_a_canary_has_no_pairs_to_compare(tmp_path):
    path = tmp_path / "predictions.jsonl"
    log = PredictionLog(path)
    log_prediction(log, "a", "1", "served", [1])
    log_prediction(log, "b", "2", "served", [1])
    log.close()
    report = build_report(path)
    assert [version.model_version for version in report.versions] == ["1", "2"]
    assert report.agreements == []
    assert "No request was scored by two versions" in report.to_markdown()


def test_a_missing_log_says_where_to_look(tmp_path):
    with pytest.raises(ProjectError, match="no prediction log here; serve some predictions"):
        build_report(tmp_path / "absent.jsonl")
