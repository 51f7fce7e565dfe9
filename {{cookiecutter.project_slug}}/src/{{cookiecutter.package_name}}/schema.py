"""The one declaration of what a valid row is: training and serving both use it.

Replacing the sample data starts here: list your feature columns, their checks and the target.
"""

from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd
import pandera.pandas as pa

TARGET = "malignant"

_MEASUREMENTS = (
    "radius",
    "texture",
    "perimeter",
    "area",
    "smoothness",
    "compactness",
    "concavity",
    "concave_points",
    "symmetry",
    "fractal_dimension",
)
FEATURES: tuple[str, ...] = (
    *(f"mean_{name}" for name in _MEASUREMENTS),
    *(f"{name}_error" for name in _MEASUREMENTS),
    *(f"worst_{name}" for name in _MEASUREMENTS),
)

# Cell measurements are sizes and ratios: never negative, and far below these bounds.
_FEATURE_CHECKS = [pa.Check.ge(0), pa.Check.le(10_000)]

FEATURE_SCHEMA = pa.DataFrameSchema(
    {name: pa.Column(float, checks=_FEATURE_CHECKS, coerce=True) for name in FEATURES},
    strict=True,
    ordered=False,
)

# Rows with the same features would leak between the train and test splits (or contradict each
# other), so training data must not have any; a batch of requests may repeat a row.
TRAINING_SCHEMA = pa.DataFrameSchema(
    {
        **FEATURE_SCHEMA.columns,
        TARGET: pa.Column(int, checks=pa.Check.isin([0, 1]), coerce=True),
    },
    strict=True,
    ordered=False,
    unique=list(FEATURES),
    report_duplicates="exclude_first",
)


@dataclass(frozen=True)
class FeatureSpec:
    """What a valid value of one feature is, in terms a pydantic request model can enforce."""

    dtype: type
    nullable: bool
    # Keyword arguments for pydantic.Field: any of ge, gt, le, lt.
    bounds: dict[str, float]
    # The only valid values (from Check.isin), or None when any value of the type may do.
    allowed: tuple | None

    @property
    def categorical(self) -> bool:
        return self.allowed is not None or self.dtype in (bool, str)

    @property
    def annotation(self) -> Any:
        """The type to declare for this feature in a pydantic model."""
        annotation = Literal[self.allowed] if self.allowed is not None else self.dtype
        return annotation | None if self.nullable else annotation


def feature_specs(schema: pa.DataFrameSchema = FEATURE_SCHEMA) -> dict[str, FeatureSpec]:
    """Read each feature's type, bounds and allowed values from the schema's checks.

    Serving declares its request model from these, so it accepts what training accepts.
    Checks other than ge, gt, le, lt, in_range and isin have no pydantic equivalent: they are
    left out here, and enforced by validating with the schema itself.
    """
    return {name: _spec(column) for name, column in schema.columns.items()}


# pandera's comparison checks, as the pydantic.Field keyword and the check statistic it reads.
_BOUND_CHECKS = {
    "greater_than_or_equal_to": ("ge", "min_value"),
    "greater_than": ("gt", "min_value"),
    "less_than_or_equal_to": ("le", "max_value"),
    "less_than": ("lt", "max_value"),
}


def _spec(column: pa.Column) -> FeatureSpec:
    bounds: dict[str, float] = {}
    allowed = None
    for check in column.checks:
        statistics = check.statistics
        if check.name == "isin":
            allowed = tuple(statistics["allowed_values"])
        elif check.name in _BOUND_CHECKS:
            keyword, statistic = _BOUND_CHECKS[check.name]
            bounds[keyword] = statistics[statistic]
        elif check.name == "in_range":
            bounds["ge" if statistics["include_min"] else "gt"] = statistics["min_value"]
            bounds["le" if statistics["include_max"] else "lt"] = statistics["max_value"]
    return FeatureSpec(_python_type(column.dtype), column.nullable, bounds, allowed)


def _python_type(dtype) -> type:
    numpy_type = getattr(dtype, "type", dtype)
    for is_kind, python_type in (
        (pd.api.types.is_bool_dtype, bool),
        (pd.api.types.is_integer_dtype, int),
        (pd.api.types.is_float_dtype, float),
    ):
        if is_kind(numpy_type):
            return python_type
    return str
