from typing import Literal

import pandas as pd
import pandera.errors
import pandera.pandas as pa
import pytest
from pydantic import Field, ValidationError, create_model

from {{ cookiecutter.package_name }}.schema import (
    FEATURE_SCHEMA,
    FEATURES,
    TARGET,
    TRAINING_SCHEMA,
    FeatureSpec,
    feature_specs,
)


def request_model(specs: dict[str, FeatureSpec]):
    """A pydantic model declared from the specs, as serving declares its request body."""
    fields = {name: (spec.annotation, Field(**spec.bounds)) for name, spec in specs.items()}
    return create_model("Features", **fields)


def test_every_feature_has_a_spec_from_the_schema():
    specs = feature_specs()
    assert list(specs) == list(FEATURES)
    assert specs["mean_radius"] == FeatureSpec(
        float, nullable=False, bounds={"ge": 0, "le": 10_000}, allowed=None
    )
    assert not specs["mean_radius"].categorical


def test_the_specs_read_every_bound_and_allowed_values():
    schema = pa.DataFrameSchema(
        {
            "ratio": pa.Column(float, pa.Check.in_range(0, 1, include_min=False)),
            "count": pa.Column(int, [pa.Check.gt(0), pa.Check.lt(10)], nullable=True),
            "colour": pa.Column(str, pa.Check.isin(["red", "blue"])),
            "flag": pa.Column(bool),
        }
    )
    specs = feature_specs(schema)
    assert specs["ratio"].bounds == {"gt": 0, "le": 1}
    assert specs["count"] == FeatureSpec(int, True, bounds={"gt": 0, "lt": 10}, allowed=None)
    assert specs["colour"].annotation == Literal["red", "blue"]
    assert specs["colour"].categorical
    assert specs["flag"].dtype is bool
    assert specs["flag"].categorical


@pytest.mark.parametrize(
    ("change", "valid"),
    [
        ({}, True),
        ({"mean_area": -0.5}, False),
        ({"mean_area": 10_000.5}, False),
        ({"mean_area": "large"}, False),
        ({"mean_area": None}, False),
    ],
    ids=["valid", "below-minimum", "above-maximum", "not-a-number", "missing"],
)
def test_a_request_model_from_the_specs_agrees_with_the_schema(valid_frame, change, valid):
    row = {**valid_frame[list(FEATURES)].iloc[0].to_dict(), **change}
    try:
        FEATURE_SCHEMA.validate(pd.DataFrame([row]), lazy=True)
        schema_accepts = True
    except pandera.errors.SchemaErrors:
        schema_accepts = False
    try:
        request_model(feature_specs()).model_validate(row)
        model_accepts = True
    except ValidationError:
        model_accepts = False
    assert schema_accepts is model_accepts is valid


def test_training_data_must_not_repeat_a_row_but_requests_may(valid_frame):
    repeated = pd.concat([valid_frame, valid_frame.iloc[[3]]], ignore_index=True)
    FEATURE_SCHEMA.validate(repeated.drop(columns=[TARGET]))
    with pytest.raises(pandera.errors.SchemaError, match="not unique"):
        TRAINING_SCHEMA.validate(repeated)
