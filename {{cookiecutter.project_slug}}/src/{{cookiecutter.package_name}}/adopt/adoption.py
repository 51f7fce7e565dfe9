"""Adopt a table: check it, draft its description and task, then write the project's files."""

import shlex
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pandera.errors

from {{ cookiecutter.package_name }}.adopt import project
from {{ cookiecutter.package_name }}.adopt.draft import Draft, draft, lines, read_table
from {{ cookiecutter.package_name }}.adopt.render import module_docstring, schema_source
from {{ cookiecutter.package_name }}.core.config import PARAMS_FILE, Params, load_params
from {{ cookiecutter.package_name }}.core.description import DESCRIPTION_FILE, DataDescription
from {{ cookiecutter.package_name }}.core.errors import ConfigError, DataValidationError
from {{ cookiecutter.package_name }}.core.tasks import TASKS, TaskKind

PACKAGE = "{{ cookiecutter.package_name }}"
NEXT = "make repro register promote"


@dataclass(frozen=True)
class Adoption:
    """What adopt decided and wrote, and what deserves a second look."""

    raw_data: Path
    draft: Draft
    review: list[str]

    def summary(self) -> str:
        draft, data = self.draft, self.draft.data
        width = max(len(column.name) for column in draft.columns) + 2
        lines = [
            f"adopted {self.raw_data} ({draft.rows:,} rows): a {draft.task} task, predicting "
            f"{data.target.name!r} ({draft.target_why})",
            *(
                f"  {column.name:<{width}}{column.feature.kind if column.feature else column.role}"
                f": {column.why}"
                for column in draft.columns
            ),
            f"wrote {DESCRIPTION_FILE}, {PARAMS_FILE} (task, gate, tune, paths.raw_data) and "
            f"{project.PIPELINE_FILE} (plots); DVC tracks {self.raw_data}",
            "review:",
            *(f"  - {item}" for item in self.review),
            f"next: {NEXT}",
        ]
        return "\n".join(lines)


def adopt(data: Path, target: str, task: TaskKind | None = None) -> Adoption:
    """Make the table at `data` the project's data, predicting its column `target`."""
    params = load_params()
    if not Path(".dvc").is_dir():
        raise ConfigError("no .dvc directory here: run adopt from the project's root")
    frame = read_table(data)
    drafted = draft(frame, target, task, data)
    if len(frame) < params.data.min_rows:
        raise DataValidationError(
            f"{data}: {len(frame)} rows, fewer than the {params.data.min_rows} that params.yaml "
            "(data.min_rows) requires"
        )
    check_table(data, drafted.data)
    raw_data, copied = project.place(data)
    schema_file = Path(DESCRIPTION_FILE)
    files = {
        schema_file: schema_source(drafted, PACKAGE, module_docstring(schema_file), raw_data),
        PARAMS_FILE: project.updated_params(PARAMS_FILE.read_text(), raw_data, drafted.task),
        project.PIPELINE_FILE: project.updated_pipeline(
            project.PIPELINE_FILE.read_text(), drafted.task
        ),
    }
    if copied:
        project.copy(data, raw_data)
    for path, text in files.items():
        path.write_text(text)
    project.track(raw_data)
    return Adoption(raw_data, drafted, _review(drafted, params, raw_data))


def check_table(source: Path, data: DataDescription) -> None:
    """Read the table as validate will, and refuse it here if validate would."""
    frame = pd.read_csv(source, dtype=data.read_dtypes(), low_memory=False)
    schema = data.training_schema()
    repeated = frame.duplicated(subset=schema.unique)
    if repeated.any():
        raise DataValidationError(
            f"{source}: {repeated.sum():,} rows repeat an earlier row "
            f"({lines(repeated)}); validate refuses them, as they would leak between the "
            "training and test sets: remove them"
        )
    try:
        schema.validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as errors:
        first = errors.failure_cases.iloc[0]
        raise DataValidationError(
            f"{source}: the description drafted from the table refuses it (column "
            f"{first['column']!r} failed {first['check']}: {first['failure_case']!r}), which "
            "adopt's rules should never do; describe this column by hand in schema.py"
        ) from None


def _review(drafted: Draft, params: Params, raw_data: Path) -> list[str]:
    task = TASKS[drafted.task]
    data = drafted.data
    review = [
        f"{DESCRIPTION_FILE}: each column's kind, bounds and values; rows outside them are "
        "refused, in training and in scoring",
        f"{PARAMS_FILE}: gate.worst_acceptable {task.default_worst_acceptable} for "
        f"{task.default_primary} is the task's default; set the bar your problem needs",
    ]
    if data.target.positive is not None:
        review.append(
            f"the positive label is {data.target.positive!r}: it is the one whose probability "
            "the model reports (Target(..., positive=...) in schema.py)"
        )
    if drafted.task == "multiclass" and all(
        isinstance(label, int) for label in data.target.classes
    ):
        review.append(
            "whole numbers as classes: if they are a quantity, adopt again with TASK=regression"
        )
    previous = params.paths.raw_data
    new_problem = previous != raw_data or params.task.kind != drafted.task
    if new_problem and params.paths.training_run.exists():
        review.append(
            f"a model was trained here on {previous}: if the registry's champion is that one, "
            "the gate cannot compare the new model with it and judges the new one on its rules "
            "alone (`make rollback` restores the old champion)"
        )
    dvc_file = Path(f"{previous}.dvc")
    if previous != raw_data and dvc_file.exists():
        review.append(
            f"{previous} is still tracked by DVC but no longer used; to remove it: "
            f"dvc remove --outs {shlex.quote(str(dvc_file))}"
        )
    return review
