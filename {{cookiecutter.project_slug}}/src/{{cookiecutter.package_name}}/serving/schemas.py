"""The request body, built from the model signature: one row (an object) or a batch (an array).

Fields are named and typed as in the signature; the numeric ranges declared in schema.py are
checked too. Pandera is not run per request: pydantic has already checked every value.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

import pandera.pandas as pa
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, create_model

from {{ cookiecutter.package_name }}.serving.served_model import InputColumn

MAX_REPORTED_PROBLEMS = 20
# Strict: "12.5" is not a number, true is not an integer; NaN and infinities are refused.
ROW_CONFIG = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)
_BATCH = re.compile(rb"[ \t\r\n]*\[")
# Pandera's range checks, as pydantic constraints: check name -> (statistic, constraint).
_RANGE_CHECKS = {
    "greater_than_or_equal_to": [("min_value", "ge")],
    "greater_than": [("min_value", "gt")],
    "less_than_or_equal_to": [("max_value", "le")],
    "less_than": [("max_value", "lt")],
}


class RejectedRequestError(Exception):
    """A client error: the status code and the body's `detail`."""

    def __init__(self, status_code: int, detail: Any):
        super().__init__(detail)
        self.status_code = status_code
        self.detail = detail


@dataclass(frozen=True)
class ParsedRequest:
    rows: list[tuple]
    # The rows as one line of JSON (an array of objects), for the prediction log.
    inputs_json: bytes


def range_constraints(schema: pa.DataFrameSchema) -> dict[str, dict[str, float]]:
    """Each column's range checks in the pandera schema, as pydantic Field arguments."""
    constraints: dict[str, dict[str, float]] = {}
    for name, column in schema.columns.items():
        for check in column.checks:
            stats = check.statistics or {}
            pairs = _RANGE_CHECKS.get(check.name, [])
            if check.name == "in_range":
                pairs = [
                    ("min_value", "ge" if stats.get("include_min", True) else "gt"),
                    ("max_value", "le" if stats.get("include_max", True) else "lt"),
                ]
            for statistic, constraint in pairs:
                constraints.setdefault(name, {})[constraint] = stats[statistic]
    return constraints


class RequestSchema:
    def __init__(
        self,
        columns: Sequence[InputColumn],
        max_rows: int,
        constraints: Mapping[str, dict[str, float]],
    ):
        self.max_rows = max_rows
        # Internal names keep columns such as "mean radius" or "_id" valid as fields; the alias
        # is what clients send.
        fields = {
            f"field_{index}": (
                column.type,
                Field(
                    alias=column.name,
                    title=column.name,
                    **(constraints.get(column.name, {}) if column.type is not str else {}),
                ),
            )
            for index, column in enumerate(columns)
        }
        self.row_model: type[BaseModel] = create_model("Row", __config__=ROW_CONFIG, **fields)
        self._one = TypeAdapter(self.row_model)
        self._batch = TypeAdapter(
            Annotated[list[self.row_model], Field(min_length=1, max_length=max_rows)]
        )

    def parse(self, body: bytes) -> ParsedRequest:
        """Validate a body; the rows come back as tuples in signature order."""
        is_batch = _BATCH.match(body) is not None
        try:
            rows = self._batch.validate_json(body) if is_batch else [self._one.validate_json(body)]
        except ValidationError as error:
            raise self._rejection(error, is_batch) from None
        # A valid JSON body has line breaks only between tokens, where they can go.
        line = body.replace(b"\n", b" ").replace(b"\r", b" ")
        # Fields are stored in declaration order, whatever order the client sent.
        return ParsedRequest(
            [tuple(row.__dict__.values()) for row in rows],
            line if is_batch else b"[" + line + b"]",
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
            for issue in issues[:MAX_REPORTED_PROBLEMS]
        ]
        if len(issues) > MAX_REPORTED_PROBLEMS:
            more = len(issues) - MAX_REPORTED_PROBLEMS
            detail.append({"loc": ["body"], "msg": f"and {more} more problems", "type": "more"})
        return RejectedRequestError(422, detail)

    def openapi_request_body(self) -> dict:
        row = self._one.json_schema()
        batch = {"type": "array", "items": row, "minItems": 1, "maxItems": self.max_rows}
        return {
            "required": True,
            "description": "One row as an object, or a batch of rows as an array of objects.",
            "content": {"application/json": {"schema": {"anyOf": [row, batch]}}},
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
    return f"{row}field {field!r}: {issue['msg']}"
