"""The request and response bodies, built from the data description and the task.

A request is one row (an object) or a batch (an array). Its fields are the description's:
each feature is required (a number within its bounds, one of its category's values, or true
or false; null only where declared nullable), and the identifiers and the time may be sent,
to be echoed beside each prediction. Pandera is not run per request: pydantic has already
checked every value. A response holds, per row, what the task returns (tasks.py).
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    create_model,
)

from {{ cookiecutter.package_name }}.core.description import (
    Categorical,
    DataDescription,
    Feature,
    Numeric,
)
from {{ cookiecutter.package_name }}.core.tasks import Task

MAX_REPORTED_PROBLEMS = 20
# Strict: "12.5" is not a number, 1 is not true; NaN and infinities are refused.
ROW_CONFIG = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)
_BATCH = re.compile(rb"[ \t\r\n]*\[")
# The types of the output contract's columns (tasks.py), as JSON carries them.
OUTPUT_TYPES = {"float64": float, "int64": int, "string": str, "bool": bool}


class RejectedRequestError(Exception):
    """A client error: the status code, the body's `detail` and any headers to send."""

    def __init__(self, status_code: int, detail: Any, headers: dict[str, str] | None = None):
        super().__init__(detail)
        self.status_code = status_code
        self.detail = detail
        self.headers = headers or {}


@dataclass(frozen=True)
class ParsedRequest:
    # Each row's features, in the description's order.
    features: list[tuple]
    # Each row's identifiers and time, as sent; None when the description declares none.
    echoed: list[dict[str, Any]] | None
    # The rows' values as one line of JSON (an array of objects), for the prediction log.
    inputs_json: bytes


def _iso_time(value: str) -> str:
    try:
        datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"{value!r} is not a date and time in ISO 8601 form, such as 2024-01-31T09:30:00"
        ) from None
    return value


# Identifiers are text (the description reads them so); the time is echoed as sent.
IDENTIFIER = str | None
TIME = Annotated[str, AfterValidator(_iso_time)] | None


def feature_type(feature: Feature) -> Any:
    """The JSON value a feature takes: a bounded number, one of the values, or true/false."""
    if isinstance(feature, Numeric):
        bounds = {"ge": feature.ge, "le": feature.le}
        kind = Annotated[float, Field(**{k: v for k, v in bounds.items() if v is not None})]
    elif isinstance(feature, Categorical):
        kind = Literal[feature.values]
    else:
        kind = bool
    return kind | None if feature.nullable else kind


def echoed_fields(data: DataDescription) -> list[tuple[str, Any, Any]]:
    """The identifiers and the time: optional, and echoed beside the row's predictions."""
    fields = [(name, IDENTIFIER, None) for name in data.identifiers]
    return fields + ([(data.time, TIME, None)] if data.time else [])


def _field(index: int) -> str:
    # Internal names keep any column name ("mean radius", "_id", "class") valid as a field;
    # the alias is what clients send and see.
    return f"field_{index}"


def _model(name: str, fields: list[tuple[str, Any, Any]]) -> type[BaseModel]:
    """A strict model of (name, type, default) fields; `...` marks a required one."""
    return create_model(
        name,
        __config__=ROW_CONFIG,
        **{
            _field(index): (kind, Field(default, alias=column, title=column))
            for index, (column, kind, default) in enumerate(fields)
        },
    )


class RequestSchema:
    def __init__(self, data: DataDescription, max_rows: int):
        self.max_rows = max_rows
        echoed = echoed_fields(data)
        # Features first: a row's values then start with its features, in the model's order.
        features = [(feature.name, feature_type(feature), ...) for feature in data.features]
        self.row_model = _model("Row", features + echoed)
        self._feature_count = len(features)
        self._echoed = [
            (_field(index), name) for index, (name, _, _) in enumerate(echoed, start=len(features))
        ]
        self._one = TypeAdapter(self.row_model)
        self._batch = TypeAdapter(
            Annotated[list[self.row_model], Field(min_length=1, max_length=max_rows)]
        )
        self._rows = TypeAdapter(list[self.row_model])

    def parse(self, body: bytes) -> ParsedRequest:
        """Validate a body; each row's features come back as a tuple, in declaration order."""
        is_batch = _BATCH.match(body) is not None
        try:
            rows = self._batch.validate_json(body) if is_batch else [self._one.validate_json(body)]
        except ValidationError as error:
            raise self._rejection(error, is_batch) from None
        # The validated values, re-encoded: what the client sent around them (spaces, say) never
        # reaches the log. The identifiers and time appear only where sent.
        inputs_json = self._rows.dump_json(rows, by_alias=True, exclude_unset=True)
        # Fields are stored in declaration order, whatever order the client sent.
        if not self._echoed:
            return ParsedRequest([tuple(row.__dict__.values()) for row in rows], None, inputs_json)
        count = self._feature_count
        return ParsedRequest(
            [tuple(row.__dict__.values())[:count] for row in rows],
            [
                {
                    name: getattr(row, field)
                    for field, name in self._echoed
                    if field in row.model_fields_set
                }
                for row in rows
            ],
            inputs_json,
        )

    def _rejection(self, error: ValidationError, is_batch: bool) -> RejectedRequestError:
        issues = error.errors(include_url=False)
        for issue in issues:
            if issue["type"] == "too_long" and not issue["loc"]:
                rows = issue["ctx"]["actual_length"]
                return RejectedRequestError(
                    413,
                    f"a batch of {rows} rows is over the limit of {self.max_rows} "
                    "(SERVING_MAX_BATCH_ROWS); send it in smaller batches",
                )
        detail = [
            {
                "loc": ["body", *issue["loc"]],
                "msg": describe(issue, is_batch),
                "type": issue["type"],
            }
            for issue in issues
        ]
        return RejectedRequestError(422, listed(detail))

    def openapi_request_body(self) -> dict:
        row = self._one.json_schema()
        batch = {"type": "array", "items": row, "minItems": 1, "maxItems": self.max_rows}
        return {
            "required": True,
            "description": "One row as an object, or a batch of rows as an array of objects.",
            "content": {"application/json": {"schema": {"anyOf": [row, batch]}}},
        }


def listed(problems: list[dict]) -> list[dict]:
    """A body's problems, at most MAX_REPORTED_PROBLEMS of them, then how many more there are."""
    if len(problems) <= MAX_REPORTED_PROBLEMS:
        return problems
    more = len(problems) - MAX_REPORTED_PROBLEMS
    return [
        *problems[:MAX_REPORTED_PROBLEMS],
        {"loc": ["body"], "msg": f"and {more} more problems", "type": "more"},
    ]


def response_schema(task: Task) -> dict:
    """The JSON schema of a 200 answer: per row, the identifiers and time sent, then the
    task's outputs."""
    outputs = [(name, OUTPUT_TYPES[dtype], ...) for name, dtype in task.output_columns().items()]
    fields = echoed_fields(task.data) + outputs
    prediction = TypeAdapter(_model("Prediction", fields)).json_schema(mode="serialization")
    return {
        "type": "object",
        "properties": {
            "model_version": {"type": "string"},
            "predictions": {"type": "array", "items": prediction},
        },
        "required": ["model_version", "predictions"],
    }


def describe(issue: Mapping[str, Any], is_batch: bool) -> str:
    """One sentence for one problem, naming the row (in a batch) and the field."""
    location = list(issue["loc"])
    row = f"row {location.pop(0)}: " if is_batch and location else ""
    field = location[0] if location else None
    kind = issue["type"]
    if kind == "missing":
        return f"{row}missing field {field!r}"
    if kind == "extra_forbidden":
        return f"{row}unknown field {field!r}; /docs lists the model's inputs"
    if kind == "json_invalid":
        return f"the body is not valid JSON: {issue['ctx']['error']}"
    if kind == "too_short":
        return "a batch needs at least one row"
    if kind in {"model_type", "model_attributes_type", "list_type"}:
        if row:
            return f"{row}a row must be a JSON object of named fields"
        return "the body must be a JSON object (one row) or an array of objects (a batch)"
    if issue.get("input", ...) is None:
        return f"{row}field {field!r}: needs a value, not null"
    if kind == "literal_error":
        return f"{row}field {field!r}: {issue['input']!r} is not one of {issue['ctx']['expected']}"
    return f"{row}field {field!r}: {issue['msg'].removeprefix('Value error, ')}"
