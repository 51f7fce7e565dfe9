"""Read a table and draft its description and task: what `make adopt` proposes for review.

pandera's schema inference gives each column's type, whether it has empty cells and its range;
the rules below turn that into the description's kinds. Every decision keeps a few words on
what it was drawn from, for the comments in schema.py and the summary.
"""

import math
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pandera.pandas as pa

from {{ cookiecutter.package_name }}.core.description import (
    Boolean,
    Categorical,
    DataDescription,
    Feature,
    Label,
    Numeric,
    Target,
)
from {{ cookiecutter.package_name }}.core.errors import DataValidationError
from {{ cookiecutter.package_name }}.core.tasks import TaskKind

# Bounds are the range seen, widened on each side by this share of its width (so tomorrow's
# slightly larger value is not refused), then rounded outward to this many significant digits.
MARGIN = 0.5
SIGNIFICANT_DIGITS = 2
# From this share of distinct values, a column with an id-like name or content is an identifier.
NEARLY_UNIQUE = 0.95
# Text is categories when it has at most this many distinct values, each seen twice on average,
# none longer than this; other text is free text.
MAX_CATEGORIES = 50
MAX_CATEGORY_LENGTH = 80
# Whole numbers with at most this many distinct values are classes; with more, a quantity.
MAX_CLASSES = 20
# A class needs a row in the training split and one in the test split (validate checks the same).
MIN_ROWS_PER_LABEL = 2
# Labels that mean "yes": the positive class of a binary task, when one of the two is.
YES_LABELS = frozenset({"1", "true", "t", "yes", "y", "positive", "pos"})
# Words of a column name that make it an identifier, if its values are (nearly) unique.
ID_WORDS = frozenset(
    {"id", "ids", "uuid", "guid", "key", "identifier", "ref", "code", "number", "no"}
)
# Lines of a file as a spreadsheet numbers them: the header is line 1.
FIRST_ROW_LINE = 2
SHOWN_LINES = 5

Role = Literal["feature", "identifier", "time", "ignored"]
ColumnKind = Literal["boolean", "integer", "number", "text"]


@dataclass(frozen=True)
class Decision:
    """What a column is in the draft, and what that was drawn from (a few words)."""

    name: str
    role: Role
    why: str
    feature: Feature | None = None


@dataclass(frozen=True)
class Draft:
    """A description and a task for a table, with the reason for each decision."""

    rows: int
    columns: tuple[Decision, ...]
    target: Target
    task: TaskKind
    target_why: str

    @property
    def data(self) -> DataDescription:
        return DataDescription(
            features=[column.feature for column in self.columns if column.feature],
            target=self.target,
            identifiers=self.named("identifier"),
            time=next(iter(self.named("time")), None),
            ignored=self.named("ignored"),
        )

    def named(self, role: Role) -> list[str]:
        return [column.name for column in self.columns if column.role == role]

    def why(self, name: str) -> str:
        return next(column.why for column in self.columns if column.name == name)


def read_table(path: Path) -> pd.DataFrame:
    """The table with pandas' own types, or an error naming why it cannot be read."""
    if not path.is_file():
        raise DataValidationError(f"{path}: file not found")
    if path.stat().st_size == 0:
        raise DataValidationError(f"{path}: the file is empty")
    try:
        frame = pd.read_csv(path, low_memory=False)
    except pd.errors.EmptyDataError:
        raise DataValidationError(f"{path}: no columns found; is this a CSV file?") from None
    except pd.errors.ParserError as error:
        reason = str(error).strip().splitlines()[-1]
        raise DataValidationError(f"{path}: not a well-formed CSV file: {reason}") from None
    except UnicodeDecodeError:
        raise DataValidationError(
            f"{path}: not a text CSV file (cannot decode it as UTF-8); export the data as CSV"
        ) from None
    if frame.empty:
        raise DataValidationError(f"{path}: a header but no rows")
    return frame


def draft(frame: pd.DataFrame, target: str, task: TaskKind | None, source: Path) -> Draft:
    """Describe every column of the table, and the target with its task (`task`, or judged)."""
    if target not in frame.columns:
        columns = ", ".join(map(str, frame.columns))
        raise DataValidationError(f"{source}: no column {target!r}; its columns: {columns}")
    inferred = pa.infer_schema(frame).columns
    described, kind, target_why = describe_target(frame[target], inferred[target], source, task)
    columns: list[Decision] = []
    for name in frame.columns.drop(target):
        time_taken = any(column.role == "time" for column in columns)
        columns.append(describe_column(str(name), frame[name], inferred[name], time_taken))
    if not any(column.feature for column in columns):
        found = "; ".join(f"{column.name}: {column.why}" for column in columns)
        raise DataValidationError(
            f"{source}: no column besides {target!r} can be a feature ({found or 'none'})"
        )
    return Draft(len(frame), tuple(columns), described, kind, target_why)


# Columns ------------------------------------------------------------------------------------


def describe_column(
    name: str, values: pd.Series, inferred: pa.Column, time_taken: bool
) -> Decision:
    """One column's role and kind, by the first rule that fits it."""
    present = values.dropna()
    if present.empty:
        return Decision(name, "ignored", "empty in every row")
    distinct = present.nunique()
    if distinct == 1:
        return Decision(name, "ignored", f"the same value in every row ({present.iloc[0]!r})")
    kind = column_kind(inferred, present)
    missing = _missing(values)
    if kind == "boolean":
        return Decision(
            name, "feature", f"true or false{missing}", Boolean(name, inferred.nullable)
        )
    if kind == "text" and _are_dates(present):
        return _dates(name, present, inferred.nullable, time_taken)
    unique = distinct >= NEARLY_UNIQUE * len(present)
    if unique and kind in ("integer", "text"):
        looks = _id_like_name(name) or ("its values" if _id_like_values(present, kind) else None)
        if looks:
            share = "unique" if distinct == len(present) else f"{distinct:,} distinct"
            return Decision(name, "identifier", f"{share} values; {looks} look like an id")
    if kind == "text":
        return _text(name, present, distinct, inferred.nullable, missing)
    return _numbers(name, inferred, missing)


def column_kind(inferred: pa.Column, present: pd.Series) -> ColumnKind:
    """The column's kind by pandera's inferred type; whole floats (numbers with empty cells)
    count as whole numbers."""
    dtype = inferred.dtype.type
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_object_dtype(dtype) and present.map(type).eq(bool).all():
        # True and false with empty cells: pandas reads them as objects.
        return "boolean"
    if pd.api.types.is_integer_dtype(dtype):
        return "integer"
    if pd.api.types.is_float_dtype(dtype):
        return "integer" if _whole(present) else "number"
    return "text"


def _numbers(name: str, inferred: pa.Column, missing: str) -> Decision:
    statistics = {}
    for check in inferred.checks:
        statistics |= check.statistics
    low, high = statistics["min_value"], statistics["max_value"]
    margin = (high - low) * MARGIN
    # Never past zero when the values are not: a count or an amount stays non-negative.
    ge = _round_out(low - margin, up=False)
    ge = max(ge, 0) if low >= 0 else ge
    le = _round_out(high + margin, up=True)
    le = min(le, 0) if high <= 0 else le
    feature = Numeric(name, ge=ge, le=le, nullable=inferred.nullable)
    return Decision(name, "feature", f"{shown(low)} to {shown(high)} seen{missing}", feature)


def _text(name: str, present: pd.Series, distinct: int, nullable: bool, missing: str) -> Decision:
    few = distinct <= MAX_CATEGORIES and distinct <= len(present) / 2
    values = sorted(present.astype(str).unique()) if few else []
    if few and max(map(len, values)) <= MAX_CATEGORY_LENGTH:
        feature = Categorical(name, tuple(values), nullable=nullable)
        return Decision(name, "feature", f"{distinct} values seen{missing}", feature)
    return Decision(name, "ignored", f"free text ({distinct:,} distinct values)")


def _dates(name: str, present: pd.Series, nullable: bool, time_taken: bool) -> Decision:
    dates = _parse_dates(present)
    seen = f"dates {dates.min():%Y-%m-%d} to {dates.max():%Y-%m-%d}"
    if time_taken:
        return Decision(name, "ignored", f"{seen}; an earlier column is the time")
    if nullable:
        return Decision(name, "ignored", f"{seen}, with empty cells; the time needs every row's")
    return Decision(name, "time", seen)


def _are_dates(present: pd.Series) -> bool:
    # A first few values decide cheaply for most text; then every value must parse, as
    # validation parses the time column.
    if not present.astype(str).str.contains(r"\d").all():
        return False
    try:
        _parse_dates(present.head(100))
        _parse_dates(present)
    except (ValueError, TypeError, OverflowError):
        return False
    return True


def _parse_dates(values: pd.Series) -> pd.Series:
    with warnings.catch_warnings():
        # pandas warns when it parses each value on its own; either way is right here.
        warnings.simplefilter("ignore", UserWarning)
        return pd.to_datetime(values)


def _id_like_name(name: str) -> str | None:
    # customer_id, CustomerID, orderNumber: split on case changes, digits and punctuation.
    words = {word.lower() for word in re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+", name)}
    return "its name and values" if words & ID_WORDS else None


def _id_like_values(present: pd.Series, kind: ColumnKind) -> bool:
    """Serial numbers (increasing down the file), or codes: text with a digit and no space."""
    if kind == "integer":
        return present.is_monotonic_increasing
    text = present.astype(str)
    return bool((text.str.contains(r"\d") & ~text.str.contains(r"\s")).all())


# The target -----------------------------------------------------------------------------------


def describe_target(
    values: pd.Series, inferred: pa.Column, source: Path, task: TaskKind | None
) -> tuple[Target, TaskKind, str]:
    """The target, its task (`task`, or judged from the values) and what that was drawn from."""
    name = str(values.name)
    where = f"{source}: the target {name!r}"
    empty = values.isna()
    if empty.any():
        raise DataValidationError(f"{where} is empty in {lines(empty)}; fill or remove those rows")
    counts = values.value_counts()
    if len(counts) == 1:
        raise DataValidationError(
            f"{where} has one value only ({counts.index[0]!r}): there is nothing to predict"
        )
    kind = column_kind(inferred, values)
    chosen = task or _judge(kind, len(counts), where)
    if chosen == "regression":
        if kind in ("boolean", "text"):
            example = values.iloc[0]
            raise DataValidationError(
                f"{where} holds {kind} ({example!r} in line {FIRST_ROW_LINE}), not numbers: a "
                "regression predicts a number; give TASK=binary or TASK=multiclass"
            )
        return Target(name), chosen, f"numbers, {shown(values.min())} to {shown(values.max())}"
    return _classes(values, kind, chosen, where)


def _judge(kind: ColumnKind, distinct: int, where: str) -> TaskKind:
    if distinct == 2 and kind != "number":
        return "binary"
    if kind == "number":
        if distinct == 2:
            raise DataValidationError(
                f"{where} holds two numbers with fractions: labels are text or whole numbers, "
                "so give TASK=regression if it is a quantity"
            )
        return "regression"
    if distinct <= MAX_CLASSES:
        return "multiclass"
    if kind == "integer":
        return "regression"
    raise DataValidationError(
        f"{where} holds {distinct:,} distinct text values, more than the {MAX_CLASSES} that "
        "surely are classes; give TASK=multiclass to predict them as classes"
    )


def _classes(
    values: pd.Series, kind: ColumnKind, task: TaskKind, where: str
) -> tuple[Target, TaskKind, str]:
    if kind == "number":
        raise DataValidationError(
            f"{where} holds numbers with fractions: labels are text or whole numbers; "
            "give TASK=regression to predict the number"
        )
    labels = _as_labels(values, kind)
    counts = labels.value_counts()
    classes = sorted(counts.index.tolist())
    expected = {"binary": "2 labels", "multiclass": "3 or more labels"}[task]
    if (len(classes) == 2) != (task == "binary"):
        other = "multiclass" if task == "binary" else "binary"
        raise DataValidationError(
            f"{where} has {len(classes)} labels ({_listed(classes)}); a {task} task has "
            f"{expected}: give TASK={other}"
        )
    rare = [label for label in classes if counts[label] < MIN_ROWS_PER_LABEL]
    if rare:
        raise DataValidationError(
            f"{where} has fewer than {MIN_ROWS_PER_LABEL} rows of {_listed(rare)}: a class needs "
            "a row to train on and one to test on; add rows, or remove these"
        )
    name = str(values.name)
    if task == "multiclass":
        return Target(name, tuple(classes)), task, f"{len(classes)} labels"
    positive, why = _positive(classes, counts)
    return (
        Target(name, tuple(classes), positive=positive),
        task,
        f"2 labels; {positive!r} is positive, {why}",
    )


def _as_labels(values: pd.Series, kind: ColumnKind) -> pd.Series:
    """Labels as the description declares them: text, whole numbers or true and false."""
    if kind == "boolean":
        return values.astype(bool)
    if kind == "integer":
        return values.astype("int64")
    return values.astype(str)


def _positive(classes: Sequence[Label], counts: pd.Series) -> tuple[Label, str]:
    yes = [label for label in classes if str(label).strip().lower() in YES_LABELS]
    if len(yes) == 1:
        return yes[0], "as it reads as yes"
    # Else the rarer label: what one predicts is most often the exception.
    rarer = min(reversed(classes), key=lambda label: counts[label])
    return rarer, f"the rarer label ({counts[rarer] / counts.sum():.0%} of rows)"


# Words ----------------------------------------------------------------------------------------


def shown(value: float) -> str:
    """A number as people write it: 381,270 or 0.0153."""
    if abs(value) >= 1000 or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:.4g}"


def _missing(values: pd.Series) -> str:
    share = values.isna().mean()
    return f", {share:.1%} missing" if share else ""


def _whole(values: pd.Series) -> bool:
    numbers = values.to_numpy(dtype=float)
    return bool(np.isfinite(numbers).all() and (numbers == np.round(numbers)).all())


def _round_out(value: float, up: bool) -> float | int:
    """`value` rounded away from the data to SIGNIFICANT_DIGITS digits: 126.4 up is 130."""
    if value == 0:
        return 0
    step = 10.0 ** (math.floor(math.log10(abs(value))) - SIGNIFICANT_DIGITS + 1)
    rounded = (math.ceil if up else math.floor)(value / step) * step
    # Clear the float noise of the multiplication (0.013000000000000001).
    rounded = round(rounded, max(0, -math.floor(math.log10(step))))
    return int(rounded) if float(rounded).is_integer() else rounded


def lines(rows: pd.Series) -> str:
    """The lines of the file that hold the rows marked true, a few of them."""
    numbers = [str(index + FIRST_ROW_LINE) for index in np.flatnonzero(rows.to_numpy())]
    more = f" and {len(numbers) - SHOWN_LINES:,} more" if len(numbers) > SHOWN_LINES else ""
    return f"line{'s' if len(numbers) > 1 else ''} {', '.join(numbers[:SHOWN_LINES])}{more}"


def _listed(labels: Sequence[Label]) -> str:
    shown_labels = ", ".join(map(repr, labels[:SHOWN_LINES]))
    return shown_labels + (
        f" and {len(labels) - SHOWN_LINES} more" if len(labels) > SHOWN_LINES else ""
    )
