"""Write a draft as schema.py source, formatted as `ruff format` leaves it.

A call or list fits on one line, or is spread one item a line with a trailing comma (which
ruff keeps spread). Each column's line carries what it was drawn from as a comment.
"""

import ast
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from {{ cookiecutter.package_name }}.adopt.draft import Draft
from {{ cookiecutter.package_name }}.core.description import (
    Categorical,
    Feature,
    Label,
    Numeric,
    Target,
)

LINE_LENGTH = 100
INDENT = "    "


@dataclass(frozen=True)
class Group:
    """Code in brackets: `opening` items `closing`, such as `Numeric(` ... `)`."""

    opening: str
    items: tuple["Item", ...]
    closing: str
    # Always one item a line, even when it would fit on one.
    spread: bool = False


@dataclass(frozen=True)
class Commented:
    """Code with what it was drawn from."""

    code: "Code"
    comment: str


Code = str | Group
Item = Code | Commented


def schema_source(draft: Draft, package: str, docstring: str | None, source: Path) -> str:
    """The text of schema.py for a draft of the table at `source`."""
    data = draft.data
    kinds = {type(feature).__name__ for feature in data.features} | {"DataDescription", "Target"}
    lines = [
        *([docstring, ""] if docstring else []),
        *_import(f"{package}.core.description", sorted(kinds)),
        "",
        *_comment(
            f"Drafted by `make adopt` from {source.as_posix()} ({draft.rows:,} rows): review it, "
            "it is yours now. Bounds are the values seen, widened by half their range (and never "
            "past 0 when the values are not); categories are the values seen, so a value not "
            "listed is refused until you add it. The comments say what each line was drawn from.",
            "",
        ),
    ]
    features = tuple(Commented(_feature(f), draft.why(f.name)) for f in data.features)
    arguments: list[Item] = [
        Group("features=[", features, "]", spread=True),
        Commented(_keyword("target", _target(data.target)), f"{draft.task}: {draft.target_why}"),
    ]
    if data.identifiers:
        arguments.append(_names("identifiers", data.identifiers, draft))
    if data.time:
        arguments.append(Commented(f"time={_text(data.time)}", draft.why(data.time)))
    if data.ignored:
        arguments.append(_names("ignored", data.ignored, draft))
    lines += _lines(Group("DATA = DataDescription(", tuple(arguments), ")", spread=True), "")
    return "\n".join(lines) + "\n"


def module_docstring(path: Path) -> str | None:
    """The docstring of the schema.py being replaced, exactly as written, to keep it."""
    try:
        text = path.read_text()
        module = ast.parse(text)
    except (OSError, SyntaxError):
        return None
    first = module.body[0] if module.body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
        return ast.get_source_segment(text, first)
    return None


# Code of the description ----------------------------------------------------------------------


def _feature(feature: Feature) -> Code:
    arguments: list[Code] = [_text(feature.name)]
    if isinstance(feature, Numeric):
        arguments += [f"ge={_number(feature.ge)}", f"le={_number(feature.le)}"]
    if isinstance(feature, Categorical):
        arguments.append(_keyword("values", Group("(", tuple(map(_text, feature.values)), ")")))
    if feature.nullable:
        arguments.append("nullable=True")
    return Group(f"{type(feature).__name__}(", tuple(arguments), ")")


def _target(target: Target) -> Code:
    arguments: list[Code] = [_text(target.name)]
    if target.labels is not None:
        arguments.append(_keyword("labels", Group("(", tuple(map(_label, target.labels)), ")")))
    if target.labels is not None and len(target.labels) == 2:
        arguments.append(f"positive={_label(target.positive)}")
    return Group("Target(", tuple(arguments), ")")


def _names(argument: str, names: Sequence[str], draft: Draft) -> Group:
    items = tuple(Commented(_text(name), draft.why(name)) for name in names)
    return Group(f"{argument}=[", items, "]", spread=True)


def _import(module: str, names: list[str]) -> list[str]:
    line = f"from {module} import {', '.join(names)}"
    if len(line) <= LINE_LENGTH:
        return [line]
    return _lines(Group(f"from {module} import (", tuple(names), ")", spread=True), "")


def _keyword(name: str, value: Group) -> Group:
    return Group(f"{name}={value.opening}", value.items, value.closing, value.spread)


def _label(label: Label) -> str:
    return _text(label) if isinstance(label, str) else repr(label)


def _number(value: float | None) -> str:
    if value is not None and float(value).is_integer():
        return f"{int(value):_}"
    return repr(value)


def _text(value: str) -> str:
    # ruff's preference: double quotes, unless the text holds double quotes and no single ones.
    if '"' in value and "'" not in value:
        return repr(value)
    body = repr(value)[1:-1]
    if repr(value).startswith("'"):
        body = body.replace("\\'", "'").replace('"', '\\"')
    return f'"{body}"'


# Layout ----------------------------------------------------------------------------------------


def _flat(item: Item) -> str:
    if isinstance(item, Commented):
        return _flat(item.code)
    if isinstance(item, Group):
        return item.opening + ", ".join(map(_flat, item.items)) + item.closing
    return item


def _lines(item: Item, indent: str, suffix: str = "") -> list[str]:
    """The item at `indent`: on one line if it fits, else spread; its comment after it if that
    fits, else on the lines above."""
    comment = item.comment if isinstance(item, Commented) else None
    code = item.code if isinstance(item, Commented) else item
    line = f"{indent}{_flat(code)}{suffix}"
    if isinstance(code, str) or (not code.spread and len(line) <= LINE_LENGTH):
        trailing = f"{line}  # {comment}"
        if comment is None or len(trailing) <= LINE_LENGTH:
            return [trailing if comment else line]
        return [*_comment(comment, indent), line]
    lines = _comment(comment, indent) if comment else []
    lines.append(f"{indent}{code.opening}")
    for part in code.items:
        lines += _lines(part, indent + INDENT, ",")
    return [*lines, f"{indent}{code.closing}{suffix}"]


def _comment(text: str, indent: str) -> list[str]:
    width = LINE_LENGTH - len(indent) - len("# ")
    return [f"{indent}# {line}" for line in textwrap.wrap(text, width)]
