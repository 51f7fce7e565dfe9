"""The one declaration of what a valid row is: training and serving both use it.

Replacing the sample data starts here: list your feature columns, their checks and the target.
"""

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

TRAINING_SCHEMA = FEATURE_SCHEMA.add_columns(
    {TARGET: pa.Column(int, checks=pa.Check.isin([0, 1]), coerce=True)}
)
