import json
from dataclasses import replace

import pytest

from {{ cookiecutter.package_name }}.core.description import (
    Boolean,
    Categorical,
    DataDescription,
    Numeric,
    Target,
)
from {{ cookiecutter.package_name }}.core.tasks import TASKS, task_for
from {{ cookiecutter.package_name }}.project.schema import DATA
from {{ cookiecutter.package_name }}.serving.schemas import (
    MAX_REPORTED_PROBLEMS,
    RejectedRequestError,
    RequestSchema,
    response_schema,
)

from tests.synthetic import rows_of, synthetic_frame
from tests.unit.serving.conftest import TARGETS

# A description with every kind of column, whatever the project's own has.
SHOP = DataDescription(
    features=[
        Numeric("size", ge=0, le=10, nullable=True),
        Categorical("colour", ("red", "green", "blue")),
        Boolean("fresh"),
    ],
    target=Target("sold", labels=("no", "yes"), positive="yes"),
    identifiers=["shop id"],
    time="when",
)
ROW = {"size": 1.5, "colour": "red", "fresh": True, "shop id": "s-1"}


# Schemas are built in each test rather than once at import, so that changes to the code that
# builds them reach the tests (`nox -s mutation`).
@pytest.fixture
def schema() -> RequestSchema:
    return RequestSchema(SHOP, max_rows=3)


def body(rows) -> bytes:
    return json.dumps(rows).encode()


def rejection(content: bytes, schema: RequestSchema) -> RejectedRequestError:
    with pytest.raises(RejectedRequestError) as caught:
        schema.parse(content)
    return caught.value


def test_features_come_back_in_declaration_order_and_the_rest_as_sent(schema):
    reordered = {"when": "2024-05-01T10:00:00", "fresh": False, "colour": "blue", "size": 2}
    parsed = schema.parse(body([ROW, reordered]))
    assert parsed.features == [(1.5, "red", True), (2.0, "blue", False)]
    assert parsed.echoed == [{"shop id": "s-1"}, {"when": "2024-05-01T10:00:00"}]
    assert schema.parse(body(ROW)).features == [(1.5, "red", True)]


def test_without_identifiers_or_time_nothing_is_echoed():
    plain = DataDescription(features=[Numeric("x")], target=Target("y"))
    parsed = RequestSchema(plain, max_rows=1).parse(b'{"x": 1}')
    assert (parsed.features, parsed.echoed) == ([(1.0,)], None)


def test_the_logged_inputs_are_the_rows_on_one_line(schema):
    content = json.dumps([ROW, ROW], indent=2).encode()
    logged = schema.parse(content).inputs_json
    assert b"\n" not in logged
    assert json.loads(logged) == [ROW, ROW]
    assert json.loads(schema.parse(body(ROW)).inputs_json) == [ROW]


def test_missing_and_unknown_fields_are_named(schema):
    error = rejection(body({"size": 1.0, "fresh": True, "weight": 3}), schema)
    assert error.status_code == 422
    assert sorted(error.detail, key=lambda item: item["msg"]) == [
        {"loc": ["body", "colour"], "msg": "missing field 'colour'", "type": "missing"},
        {
            "loc": ["body", "weight"],
            "msg": "unknown field 'weight'; /docs lists the model's inputs",
            "type": "extra_forbidden",
        },
    ]


def test_an_unknown_category_names_its_row_field_and_values(schema):
    error = rejection(body([ROW, {**ROW, "colour": "purple"}]), schema)
    assert [(item["loc"], item["msg"]) for item in error.detail] == [
        (
            ["body", 1, "colour"],
            "row 1: field 'colour': 'purple' is not one of 'red', 'green' or 'blue'",
        )
    ]


def test_null_is_accepted_only_for_a_nullable_feature(schema):
    assert schema.parse(body({**ROW, "size": None})).features == [(None, "red", True)]
    for name in ("colour", "fresh"):
        error = rejection(body({**ROW, name: None}), schema)
        assert error.detail[0]["msg"] == f"field {name!r}: needs a value, not null"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"size": -1}, "field 'size': Input should be greater than or equal to 0"),
        ({"size": 11}, "field 'size': Input should be less than or equal to 10"),
        ({"size": "1.5"}, "field 'size': Input should be a valid number"),
        ({"fresh": 1}, "field 'fresh': Input should be a valid boolean"),
        ({"colour": 1}, "field 'colour': 1 is not one of 'red', 'green' or 'blue'"),
        ({"shop id": 7}, "field 'shop id': Input should be a valid string"),
        ({"when": "yesterday"}, "field 'when': 'yesterday' is not a date and time in ISO 8601"),
    ],
)
def test_bad_values_are_client_errors(schema, change, message):
    error = rejection(body({**ROW, **change}), schema)
    assert error.status_code == 422
    assert error.detail[0]["msg"].startswith(message)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b'{"size": NaN, "colour": "red", "fresh": true}',
            "field 'size': Input should be a finite",
        ),
        (b"{not json", "the body is not valid JSON"),
        (b"", "the body is not valid JSON"),
        (b"42", "the body must be a JSON object (one row) or an array of objects"),
        (b"[]", "a batch needs at least one row"),
        (b"[1]", "row 0: a row must be a JSON object of named fields"),
    ],
)
def test_bad_bodies_are_client_errors(schema, content, message):
    error = rejection(content, schema)
    assert error.status_code == 422
    assert error.detail[0]["msg"].startswith(message)


def test_a_batch_over_the_limit_is_too_large(schema):
    error = rejection(body([ROW] * 4), schema)
    assert error.status_code == 413
    assert error.detail == (
        "a batch of 4 rows is over the limit of 3 (SERVING_MAX_BATCH_ROWS); "
        "send it in smaller batches"
    )
    # What a log or a traceback shows of it.
    assert str(error) == error.detail


@pytest.mark.parametrize("rows", [1, 3], ids=["one", "the-limit"])
def test_a_batch_of_one_row_up_to_the_limit_is_accepted(schema, rows):
    assert schema.parse(body([ROW] * rows)).features == [(1.5, "red", True)] * rows


def test_a_long_list_of_problems_is_cut_short():
    with pytest.raises(RejectedRequestError) as caught:
        RequestSchema(SHOP, max_rows=100).parse(body([{}] * 30))
    assert len(caught.value.detail) == 21
    assert caught.value.detail[-1] == {
        "loc": ["body"],
        "msg": "and 70 more problems",
        "type": "more",
    }


def test_as_many_problems_as_are_reported_are_all_listed():
    # One problem per row: each lacks one field.
    without_fresh = {name: value for name, value in ROW.items() if name != "fresh"}
    schema = RequestSchema(SHOP, max_rows=100)
    listed = rejection(body([without_fresh] * MAX_REPORTED_PROBLEMS), schema).detail
    assert [item["msg"] for item in listed] == [
        f"row {index}: missing field 'fresh'" for index in range(MAX_REPORTED_PROBLEMS)
    ]
    one_more = rejection(body([without_fresh] * (MAX_REPORTED_PROBLEMS + 1)), schema).detail
    assert one_more[-1]["msg"] == "and 1 more problems"


def test_the_openapi_body_describes_every_field(schema):
    request_body = schema.openapi_request_body()
    row, batch = request_body["content"]["application/json"]["schema"]["anyOf"]
    assert request_body == {
        "required": True,
        "description": "One row as an object, or a batch of rows as an array of objects.",
        "content": {"application/json": {"schema": {"anyOf": [row, batch]}}},
    }
    assert batch == {"type": "array", "items": row, "minItems": 1, "maxItems": 3}
    assert row["title"] == "Row"
    # Each field as clients send it and read it in /docs.
    assert {name: field["title"] for name, field in row["properties"].items()} == {
        name: name for name in ["size", "colour", "fresh", "shop id", "when"]
    }
    assert list(row["properties"]) == ["size", "colour", "fresh", "shop id", "when"]
    assert row["required"] == ["size", "colour", "fresh"]
    assert row["additionalProperties"] is False
    assert {"type": "number", "minimum": 0, "maximum": 10} in row["properties"]["size"]["anyOf"]
    assert row["properties"]["colour"]["enum"] == ["red", "green", "blue"]
    assert batch["maxItems"] == 3


@pytest.mark.parametrize("kind", list(TASKS))
def test_the_answer_schema_holds_the_echoed_fields_then_the_task_outputs(kind):
    task = task_for(kind, replace(SHOP, target=TARGETS[kind]))
    answer = response_schema(task)
    prediction = answer["properties"]["predictions"]["items"]
    assert answer == {
        "type": "object",
        "properties": {
            "model_version": {"type": "string"},
            "predictions": {"type": "array", "items": prediction},
        },
        "required": ["model_version", "predictions"],
    }
    assert prediction["title"] == "Prediction"
    assert list(prediction["properties"]) == ["shop id", "when", *task.output_columns()]
    assert prediction["required"] == list(task.output_columns())


# The project's own description ------------------------------------------------------------------


@pytest.fixture
def project_schema() -> RequestSchema:
    return RequestSchema(DATA, max_rows=10)


def test_the_project_rows_are_accepted_with_their_identifiers(project_schema):
    rows = rows_of(synthetic_frame(5))
    parsed = project_schema.parse(body(rows))
    assert parsed.features == [tuple(row[name] for name in DATA.feature_names) for row in rows]
    if DATA.passthrough:
        assert parsed.echoed == [{name: row[name] for name in DATA.identifiers} for row in rows]


def test_the_project_features_take_null_only_where_declared_nullable(project_schema):
    sent = rows_of(synthetic_frame(5))[0]
    for feature in DATA.features:
        with_null = body({**sent, feature.name: None})
        if feature.nullable:
            assert project_schema.parse(with_null).features
        else:
            (problem, *_) = rejection(with_null, project_schema).detail
            assert problem["msg"].endswith("needs a value, not null")


def test_an_unknown_value_of_a_project_category_names_the_allowed_values(project_schema):
    rows = rows_of(synthetic_frame(5))
    for feature in DATA.features:
        if isinstance(feature, Categorical):
            bad = [rows[0], {**rows[1], feature.name: "not-a-" + feature.name}]
            (problem,) = rejection(body(bad), project_schema).detail
            assert problem["msg"].startswith(f"row 1: field {feature.name!r}: 'not-a-")
            assert all(repr(value) in problem["msg"] for value in feature.values)
