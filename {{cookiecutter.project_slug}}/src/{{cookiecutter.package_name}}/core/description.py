"""The vocabulary of a data description, and its one translation into every form that checks data.

`schema.py` (yours) declares the columns with these kinds; everything else reads the forms
below: the pandera schemas that validate files, the types `read_csv` uses, the frame the model
sees, the class each label maps to, and what serving and drift need to know of each column.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from {{ cookiecutter.package_name }}.core.errors import ConfigError

# pandera only where a schema is built: serving reads the description (the service checks
# requests with a schema of its own, serving/schemas.py), and the image has no pandera.
if TYPE_CHECKING:
    import pandera.pandas as pa

DESCRIPTION_FILE = "src/{{ cookiecutter.package_name }}/project/schema.py"
Label = str | int | bool


@dataclass(frozen=True)
class Numeric:
    """A number. `ge` and `le` bound it; `nullable` lets a cell be empty (the model imputes)."""

    name: str
    ge: float | None = None
    le: float | None = None
    nullable: bool = False
    kind: Literal["numeric"] = field(default="numeric", init=False)


@dataclass(frozen=True)
class Categorical:
    """One of a known set of values, kept as text; any other value is refused."""

    name: str
    values: tuple[str, ...]
    nullable: bool = False
    kind: Literal["categorical"] = field(default="categorical", init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", tuple(str(value) for value in self.values))


@dataclass(frozen=True)
class Boolean:
    """true or false."""

    name: str
    nullable: bool = False
    kind: Literal["boolean"] = field(default="boolean", init=False)


Feature = Numeric | Categorical | Boolean


@dataclass(frozen=True)
class Target:
    """What the model predicts: one of `labels` (classification) or a number (regression).

    Labels map to classes in the order given; for two labels, `positive` names the one whose
    probability the model reports.
    """

    name: str
    labels: tuple[Label, ...] | None = None
    positive: Label | None = None

    def __post_init__(self) -> None:
        if self.labels is not None:
            object.__setattr__(self, "labels", tuple(self.labels))

    @property
    def classes(self) -> tuple[Label, ...]:
        """The labels in class order: for two labels, the positive one is class 1."""
        labels = self.labels or ()
        if len(labels) == 2 and self.positive is not None:
            return (*(label for label in labels if label != self.positive), self.positive)
        return labels


@dataclass(frozen=True)
class DataDescription:
    """A table: its features, its target, and the columns the model never sees.

    `identifiers` are kept beside every prediction (an id, a name); `time` orders the rows
    and may split them; `ignored` columns may be in the file (free text, say) and are dropped.
    """

    features: Sequence[Feature]
    target: Target
    identifiers: Sequence[str] = ()
    time: str | None = None
    ignored: Sequence[str] = ()

    def __post_init__(self) -> None:
        for name in ("features", "identifiers", "ignored"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        if not self.features:
            raise ConfigError(f"{DESCRIPTION_FILE}: declare at least one feature")
        names = [*self.feature_names, self.target.name, *self.passthrough, *self.ignored]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ConfigError(
                f"{DESCRIPTION_FILE}: {', '.join(map(repr, repeated))} declared more than once; "
                "a column is a feature, the target, an identifier, the time or ignored"
            )

    @property
    def feature_names(self) -> list[str]:
        return [feature.name for feature in self.features]

    @property
    def passthrough(self) -> list[str]:
        """Columns kept beside predictions but never fed to the model."""
        return [*self.identifiers, *([self.time] if self.time else [])]

    @property
    def columns(self) -> list[str]:
        return [*self.passthrough, *self.feature_names, self.target.name, *self.ignored]

    def feature(self, name: str) -> Feature:
        return next(feature for feature in self.features if feature.name == name)

    # Reading ----------------------------------------------------------------------------------

    def read_dtypes(self) -> dict[str, Any]:
        """Types for `pandas.read_csv`, so text stays text ("007", "yes") and numbers numbers.

        Numbers and the target are left to pandas: a stray word must reach the schema, which
        names it, rather than fail inside the reader.
        """
        text = {name: "string" for name in self.passthrough}
        text |= {f.name: "string" for f in self.features if isinstance(f, Categorical)}
        labels = self.target.labels or ()
        if any(isinstance(label, str) for label in labels):
            text[self.target.name] = "string"
        return text

    def model_frame(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The features in declaration order, as the model takes them: numbers as floats
        (booleans as 0 and 1, missing as NaN), categories as text (missing as NaN)."""
        columns = {}
        for feature in self.features:
            values = frame[feature.name]
            if isinstance(feature, Categorical):
                columns[feature.name] = values.astype(object).where(values.notna(), np.nan)
            else:
                columns[feature.name] = pd.to_numeric(values.astype(object), errors="raise").astype(
                    float
                )
        return pd.DataFrame(columns, index=frame.index)

    # Target ------------------------------------------------------------------------------------

    def encode_target(self, values: pd.Series) -> np.ndarray:
        """Classes as 0..k-1 in `Target.classes` order, or the numbers of a regression."""
        classes = self.target.classes
        if not classes:
            return values.astype(float).to_numpy()
        codes = {label: index for index, label in enumerate(classes)}
        return np.array([codes[_as_label(value, classes)] for value in values], dtype=int)

    def decode_classes(self, codes: Sequence[int] | np.ndarray) -> np.ndarray:
        """The labels of class codes (0..k-1), as the description's own Python values."""
        return np.array(self.target.classes, dtype=object)[np.asarray(codes, dtype=int)]

    # Validation --------------------------------------------------------------------------------

    def training_schema(self) -> "pa.DataFrameSchema":
        """Every column of the training data. A row repeated whole (loaded twice, say) would
        leak between the splits, so training data must have none; rows that share features
        but differ in their identifiers or target are different records and are kept."""
        import pandera.pandas as pa

        return pa.DataFrameSchema(
            {
                **self._passthrough_columns(required=True),
                **self._feature_columns(),
                self.target.name: self._target_column(),
                **self._ignored_columns(),
            },
            strict=True,
            ordered=False,
            unique=[*self.passthrough, *self.feature_names, self.target.name],
            report_duplicates="exclude_first",
        )

    def input_schema(self) -> "pa.DataFrameSchema":
        """Rows to score: the features; identifiers, time, target and ignored columns may be
        there too; anything else is refused, as it is most likely a misnamed feature."""
        import pandera.pandas as pa

        return pa.DataFrameSchema(
            {
                **self._passthrough_columns(required=False),
                **self._feature_columns(),
                self.target.name: self._target_column(required=False),
                **self._ignored_columns(),
            },
            strict=True,
            ordered=False,
        )

    def features_schema(self) -> "pa.DataFrameSchema":
        """The features only, whatever else the frame holds (drift checks, for one)."""
        import pandera.pandas as pa

        return pa.DataFrameSchema(self._feature_columns(), strict="filter", ordered=False)

    def _feature_columns(self) -> dict[str, "pa.Column"]:
        return {feature.name: _feature_column(feature) for feature in self.features}

    def _passthrough_columns(self, required: bool) -> dict[str, "pa.Column"]:
        import pandera.pandas as pa

        columns = {
            name: pa.Column(str, nullable=True, coerce=True, required=required)
            for name in self.identifiers
        }
        if self.time:
            columns[self.time] = pa.Column(
                pa.DateTime, nullable=False, coerce=True, required=required
            )
        return columns

    def _ignored_columns(self) -> dict[str, "pa.Column"]:
        import pandera.pandas as pa

        return {name: pa.Column(nullable=True, required=False) for name in self.ignored}

    def _target_column(self, required: bool = True) -> "pa.Column":
        import pandera.pandas as pa

        labels = self.target.labels
        if labels is None:
            check = pa.Check(_finite, name="finite")
            return pa.Column(float, checks=check, coerce=True, required=required)
        label_type = type(labels[0])
        check = pa.Check.isin(list(labels))
        return pa.Column(label_type, checks=check, coerce=True, required=required)


def _finite(values: pd.Series) -> pd.Series:
    return pd.Series(np.isfinite(values.to_numpy(dtype=float)), index=values.index)


def _booleans_from_text(values: pd.Series) -> pd.Series:
    # A reader that keeps text (Dask's CSV reader) gives "True" and "False", which pandas
    # cannot cast; any other word is left for the schema to name.
    words = {"true": True, "false": False}
    return values.map(
        lambda value: words.get(value.lower(), value) if isinstance(value, str) else value
    )


def _feature_column(feature: Feature) -> "pa.Column":
    import pandera.pandas as pa

    if isinstance(feature, Categorical):
        return pa.Column(
            str, checks=pa.Check.isin(list(feature.values)), nullable=feature.nullable, coerce=True
        )
    if isinstance(feature, Boolean):
        return pa.Column(
            "boolean",
            nullable=feature.nullable,
            coerce=True,
            parsers=pa.Parser(_booleans_from_text, name="booleans_from_text"),
        )
    checks = [pa.Check(_finite, name="finite", ignore_na=True)]
    if feature.ge is not None:
        checks.append(pa.Check.ge(feature.ge))
    if feature.le is not None:
        checks.append(pa.Check.le(feature.le))
    return pa.Column(float, checks=checks, nullable=feature.nullable, coerce=True)


def _as_label(value: Any, classes: tuple[Label, ...]) -> Label:
    # A CSV reader may give 1.0 for a label declared as 1.
    if isinstance(value, float) and not math.isnan(value) and value.is_integer():
        value = int(value)
    if value not in classes:
        raise ConfigError(f"target value {value!r} is not one of the labels {list(classes)}")
    return value
