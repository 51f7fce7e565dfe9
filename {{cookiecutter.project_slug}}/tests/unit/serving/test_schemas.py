import json

import pandera.pandas as pa
import pytest

from {{ cookiecutter.package_name }}.schema import FEATURE_SCHEMA, FEATURES
from {{ cookiecutter.package_name }}.serving.schemas import (
    RejectedRequestError,
    RequestSchema,
    range_constraints,
)
from {{ cookiecutter.package_name }}.serving.served_model import InputColumn

COLUMNS = (InputColumn("size", float), InputColumn("count", int), InputColumn("_id", str))
SCHEMA = RequestSchema(COLUMNS, max_rows=3, constraints={"size": {"ge": 0}, "count": {"le": 9}})
ROW = {"size": 1.5, "count": 2, "_id": "a"}


def rejection(body: bytes) -> RejectedRequestError:
    with pytest.raises(RejectedRequestError) as caught:
        SCHEMA.parse(body)
    return caught.value


def test_one_row_or_a_batch_comes_back_in_signature_order():
    reordered = {"_id": "b", "count": 3, "size": 2}
    assert SCHEMA.parse(json.dumps(ROW).encode()).rows == [(1.5, 2, "a")]
    assert SCHEMA.parse(json.dumps([ROW, reordered]).encode()).rows == [
        (1.5, 2, "a"),
        (2.0, 3, "b"),
    ]


def test_the_logged_inputs_are_the_rows_on_one_line():
    body = json.dumps([ROW, ROW], indent=2).encode()
    logged = SCHEMA.parse(body).inputs_json
    assert b"\n" not in logged
    assert json.loads(logged) == [ROW, ROW]
    assert json.loads(SCHEMA.parse(json.dumps(ROW).encode()).inputs_json) == [ROW]


def test_missing_and_unknown_fields_are_named():
    error = rejection(json.dumps({"size": 1.0, "_id": "a", "colour": "red"}).encode())
    assert error.status_code == 422
    messages = {item["msg"] for item in error.detail}
    assert "missing field 'count'" in messages
    assert any(message.startswith("unknown field 'colour'") for message in messages)


def test_a_problem_in_a_batch_names_its_row():
    error = rejection(json.dumps([ROW, {**ROW, "count": "2"}]).encode())
    assert [(item["loc"], item["msg"]) for item in error.detail] == [
        (["body", 1, "count"], "row 1: field 'count': Input should be a valid integer")
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"size": -1, "count": 2, "_id": "a"}', "field 'size': Input should be greater than"),
        (b'{"size": 1, "count": 10, "_id": "a"}', "field 'count': Input should be less than"),
        (b'{"size": NaN, "count": 1, "_id": "a"}', "field 'size': Input should be a finite"),
        (b'{"size": 1, "count": true, "_id": "a"}', "field 'count': Input should be a valid"),
        (b"{not json", "the body is not valid JSON"),
        (b"", "the body is not valid JSON"),
        (b"42", "the body must be a JSON object (one row) or an array of objects"),
        (b"[]", "a batch needs at least one row"),
        (b"[1]", "row 0: a row must be a JSON object of named fields"),
    ],
)
def test_bad_values_are_client_errors(body, message):
    error = rejection(body)
    assert error.status_code == 422
    assert error.detail[0]["msg"].startswith(message)


def test_a_batch_over_the_limit_is_too_large():
    error = rejection(json.dumps([ROW] * 4).encode())
    assert error.status_code == 413
    assert "4 rows is over the limit of 3 (SERVING_MAX_BATCH_ROWS)" in error.detail


def test_a_long_list_of_problems_is_cut_short():
    schema = RequestSchema(COLUMNS, max_rows=100, constraints={})
    with pytest.raises(RejectedRequestError) as caught:
        schema.parse(json.dumps([{}] * 30).encode())
    assert len(caught.value.detail) == 21
    assert caught.value.detail[-1]["msg"] == "and 70 more problems"


def test_ranges_come_from_the_project_schema():
    constraints = range_constraints(FEATURE_SCHEMA)
    assert constraints[FEATURES[0]] == {"ge": 0, "le": 10_000}
    other = pa.DataFrameSchema(
        {
            "a": pa.Column(float, pa.Check.in_range(0, 1, include_max=False)),
            "b": pa.Column(float, [pa.Check.gt(2), pa.Check.isin([3.0, 4.0])]),
        }
    )
    assert range_constraints(other) == {"a": {"ge": 0, "lt": 1}, "b": {"gt": 2}}


def test_the_openapi_body_names_every_field():
    body = SCHEMA.openapi_request_body()["content"]["application/json"]["schema"]
    row, batch = body["anyOf"]
    assert list(row["properties"]) == ["size", "count", "_id"]
    assert row["additionalProperties"] is False
    assert batch["maxItems"] == 3
