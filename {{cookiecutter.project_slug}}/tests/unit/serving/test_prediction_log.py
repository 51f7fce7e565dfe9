import json

from {{ cookiecutter.package_name }}.serving.prediction_log import PredictionLog
from tests.synthetic import rows_of, synthetic_frame
from tests.unit.serving.conftest import TASK, scores_for

ROWS = rows_of(synthetic_frame(5))[:1]
OUTPUTS = TASK.outputs(scores_for(TASK, [1]), decision_threshold=0.5)


def write(log: PredictionLog, request_id: str) -> None:
    log.write(
        request_id=request_id,
        request_key="user-1",
        model_version="3",
        role="champion",
        mode="served",
        latency_ms=0.1234,
        inputs_json=json.dumps(ROWS).encode(),
        outputs_json=OUTPUTS.to_json(orient="records"),
    )


def test_each_prediction_is_one_json_line_appended(tmp_path):
    path = tmp_path / "logs" / "predictions.jsonl"
    for request_id in ["first", "second"]:
        log = PredictionLog(path)
        write(log, request_id)
        log.close()
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [line["request_id"] for line in lines] == ["first", "second"]
    assert lines[0] | {"time": None} == {
        "time": None,
        "request_id": "first",
        "request_key": "user-1",
        "model_version": "3",
        "role": "champion",
        "mode": "served",
        "latency_ms": 0.123,
        "inputs": ROWS,
        "outputs": json.loads(OUTPUTS.to_json(orient="records")),
    }
    assert lines[0]["time"].endswith("+00:00")


def test_standard_output_is_a_sink(capfd):
    log = PredictionLog(None)
    write(log, "to-stdout")
    log.close()
    assert json.loads(capfd.readouterr().out)["request_id"] == "to-stdout"
