"""The project's files that follow the data and its task: params.yaml, dvc.yaml and the raw data.

The YAML files are edited in place with ruamel.yaml's round trip, so their comments and layout
stay as they were; only the values the task decides change.
"""

import io
import shutil
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from {{ cookiecutter.package_name }}.core.errors import ConfigError
from {{ cookiecutter.package_name }}.core.tasks import TASKS, TaskKind
from {{ cookiecutter.package_name }}.infra import versioning

RAW_DATA = Path("data/raw")
PIPELINE_FILE = Path("dvc.yaml")
# The plots' directory, as dvc.yaml names it: from params.yaml, like every other path there.
PLOTS_DIRECTORY = "${paths.plots}"


def updated_params(text: str, raw_data: Path, kind: TaskKind) -> str:
    """params.yaml for the task and the raw data: its gate and search take the task's defaults."""
    task = TASKS[kind]
    params = _load(text, "params.yaml")
    _section(params, "paths")["raw_data"] = raw_data.as_posix()
    _section(params, "task")["kind"] = kind
    gate = _section(params, "gate")
    gate["primary_metric"] = task.default_primary
    gate["worst_acceptable"] = task.default_worst_acceptable
    _replace(gate, "max_secondary_drop", CommentedMap(task.default_secondary_drop))
    tune = _section(params, "tune")
    tune["scoring"] = task.default_primary
    if kind == "regression":
        # The template's model weighs classes for classification only (model.py).
        _section(tune, "space").pop("class_weight", None)
        if "class_weight" in _section(params, "train"):
            params["train"]["class_weight"] = None
    return _dump(params)


def updated_pipeline(text: str, kind: TaskKind) -> str:
    """dvc.yaml with the task's plots, as tasks.py declares them."""
    pipeline = _load(text, str(PIPELINE_FILE))
    plots = CommentedSeq(
        CommentedMap({f"{PLOTS_DIRECTORY}/{name}": CommentedMap(plot)})
        for name, plot in TASKS[kind].plots.items()
    )
    _replace(pipeline, "plots", plots)
    return _dump(pipeline)


def place(data: Path) -> tuple[Path, bool]:
    """Where the raw data lives in the project (a copy in data/raw, unless it is there already),
    and whether it is to be copied there."""
    if data.resolve().is_relative_to(RAW_DATA.resolve()):
        return data.resolve().relative_to(Path.cwd().resolve()), False
    return RAW_DATA / data.name, True


def copy(data: Path, destination: Path) -> None:
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(data, destination)


def track(raw_data: Path) -> None:
    """Version the raw data with DVC (autostage adds its .dvc file to git)."""
    then = "run it again (the description and params.yaml are written)"
    versioning.run("dvc", "add", "--quiet", str(raw_data), then=then)


# Where ruamel.yaml keeps the comment after an entry: for a mapping's key, in the third place;
# for a list's index, in the first.
_AFTER = {CommentedMap: 2, CommentedSeq: 0}


def _replace(mapping: CommentedMap, key: str, value: Any) -> None:
    """Set a key to a new mapping or list, keeping what followed the old one (a blank line
    before the next section, a comment): ruamel.yaml keeps that with the old one's last line."""
    if mapping.get(key) == value:
        return
    ending = _take_comment_after(*_last_line(mapping, key)) if key in mapping else None
    mapping[key] = value
    if ending is not None:
        container, last = _last_line(mapping, key)
        container.ca.items.setdefault(last, [None] * 4)[_AFTER[type(container)]] = ending


def _last_line(container: CommentedMap | CommentedSeq, key: Any) -> tuple[Any, Any]:
    """The container and key of the entry on the last line of `container[key]`."""
    value = container[key]
    while isinstance(value, CommentedMap | CommentedSeq) and value:
        container, key = (
            value,
            list(value)[-1] if isinstance(value, CommentedMap) else len(value) - 1,
        )
        value = container[key]
    return container, key


def _take_comment_after(container: CommentedMap | CommentedSeq, key: Any) -> Any:
    entry = container.ca.items.get(key)
    if not entry:
        return None
    comment, entry[_AFTER[type(container)]] = entry[_AFTER[type(container)]], None
    return comment


def _yaml() -> YAML:
    yaml = YAML()
    # The project's layout: lists indented under their key; long lines kept whole.
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096
    yaml.preserve_quotes = True
    yaml.representer.add_representer(
        type(None),
        lambda representer, _: representer.represent_scalar("tag:yaml.org,2002:null", "null"),
    )
    return yaml


def _load(text: str, name: str) -> CommentedMap:
    loaded = _yaml().load(text)
    if not isinstance(loaded, CommentedMap):
        raise ConfigError(f"{name}: not a mapping of sections")
    return loaded


def _section(mapping: CommentedMap, key: str) -> CommentedMap:
    section = mapping.get(key)
    if not isinstance(section, CommentedMap):
        raise ConfigError(f"params.yaml: no `{key}` section; restore it from the template")
    return section


def _dump(document: CommentedMap) -> str:
    stream = io.StringIO()
    _yaml().dump(document, stream)
    return stream.getvalue()
