"""Gather a registered version's card and attach it: to the run as artifacts, to the version as
its description."""

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from mlflow import MlflowClient
from mlflow.entities.model_registry import ModelVersion

from {{ cookiecutter.package_name }}.core.config import CardParams, Params
from {{ cookiecutter.package_name }}.core.data import read_table
from {{ cookiecutter.package_name }}.core.description import DESCRIPTION_FILE, DataDescription
from {{ cookiecutter.package_name }}.core.errors import ConfigError, ProjectError
from {{ cookiecutter.package_name }}.core.tasks import Task, project_task
from {{ cookiecutter.package_name }}.registry import lineage
from {{ cookiecutter.package_name }}.registry import versions as registry
from {{ cookiecutter.package_name }}.registry.gate import DECISION_TAG, GateDecision, incomparable
from {{ cookiecutter.package_name }}.reporting.card.files import (
    ARTIFACT_DIR,
    HTML_FILE,
    MARKDOWN_FILE,
)
from {{ cookiecutter.package_name }}.reporting.card.measure import Measurements, measure
from {{ cookiecutter.package_name }}.reporting.card.render import to_html, to_markdown

# MLflow's SQL stores keep a version's description in a column of 5000 characters, which
# PostgreSQL and MySQL enforce.
DESCRIPTION_LIMIT = 5000


@dataclass(frozen=True)
class TrainingData:
    path: str
    # What dvc.lock records for the file, and its hash now: they differ before a `dvc checkout`.
    dvc_md5: str | None
    md5: str
    rows: int
    # Classification: the rows of each label. Regression: the target's summary statistics.
    distribution: dict[str, float]


@dataclass(frozen=True)
class ModelCard:
    model_name: str
    version: str
    task: str
    target: str
    owner: str
    intended_use: str
    test_data: str
    test_md5: str
    training: TrainingData
    measurements: Measurements
    settings: CardParams
    seed: int
    # The gate's latest decision on this version, if it was judged.
    gate: GateDecision | None
    lineage: dict
    # Why some numbers may not be what they seem; shown first.
    notes: tuple[str, ...]

    @property
    def warnings(self) -> list[str]:
        """The notes, then each grouping with groups too small to read much into."""
        measured = self.measurements
        groupings = [
            (f"slice {grouping.column}", "metrics are noisy", grouping)
            for grouping in measured.slices
        ]
        if measured.fairness is not None:
            grouping = measured.fairness.grouping
            noisy = "rates are noisy and left out of the gaps"
            groupings.append((f"sensitive column {grouping.column}", noisy, grouping))
        return [
            *self.notes,
            *(
                f"{name}: {len(grouping.small)} of {len(grouping.groups)} groups have fewer "
                f"than {grouping.min_rows} test rows (card.min_slice_rows), so their {noisy}: "
                f"{', '.join(group.label for group in grouping.small)}"
                for name, noisy, grouping in groupings
                if grouping.small
            ),
        ]


def check_columns(settings: CardParams, data: DataDescription) -> None:
    """The card's columns must be columns the data description declares."""
    named = {"card.slices": list(settings.slices), "card.sensitive_column": []}
    if settings.sensitive_column is not None:
        named["card.sensitive_column"].append(settings.sensitive_column)
    for key, columns in named.items():
        unknown = [column for column in columns if column not in data.columns]
        if unknown:
            raise ConfigError(
                f"params.yaml {key}: {', '.join(map(repr, unknown))} is not a column "
                f"{DESCRIPTION_FILE} declares; its columns: {', '.join(data.columns)}"
            )
    if settings.sensitive_column == data.target.name:
        raise ConfigError(
            f"params.yaml card.sensitive_column: {data.target.name!r} is the target; name the "
            "column whose groups the model should treat alike (an `ignored` column of "
            f"{DESCRIPTION_FILE} keeps it out of the model)"
        )


def build_card(client: MlflowClient, params: Params, version: ModelVersion) -> ModelCard:
    """Measure the version on the test split and gather what the registry knows of it."""
    settings = params.card
    task = project_task(params.task.kind)
    check_columns(settings, task.data)
    test_path, train_path = params.paths.test_data, params.paths.train_data
    for path in (test_path, train_path):
        if not path.exists():
            raise ProjectError(f"{path}: not found; run `make repro` (or `make pull`) first")
    model = registry.load_estimator(version)
    problem = incomparable(model, task)
    record = registry.lineage_record(client, version)
    commit = record["tags"].get("git_commit", "<its commit>")
    if problem:
        raise ProjectError(
            f"version {version.version} cannot be measured on {test_path}: {problem}; build its "
            f"card where its code and data are checked out (git checkout {commit}, dvc checkout)"
        )
    frame = read_table(test_path)
    absent = [c for c in (*settings.slices, settings.sensitive_column) if c and c not in frame]
    if absent:
        raise ConfigError(
            f"params.yaml card.slices or card.sensitive_column: {', '.join(map(repr, absent))} "
            f"is not in {test_path}; add it to the raw data, or take it out of params.yaml"
        )
    measurements = measure(
        model,
        task,
        frame,
        settings,
        params.evaluate.decision_threshold,
        params.gate.primary_metric,
        params.split.seed,
    )
    training = training_data(train_path, task)
    decision = version.tags.get(DECISION_TAG)
    return ModelCard(
        model_name=version.name,
        version=str(version.version),
        task=task.kind,
        target=task.data.target.name,
        owner=settings.owner,
        intended_use=settings.intended_use,
        test_data=str(test_path),
        test_md5=lineage.file_md5(test_path),
        training=training,
        measurements=measurements,
        settings=settings,
        seed=params.split.seed,
        gate=GateDecision(**json.loads(decision)) if decision else None,
        lineage=record,
        notes=tuple(data_notes(str(version.version), record["tags"], training, commit)),
    )


def training_data(path: Path, task: Task) -> TrainingData:
    frame = read_table(path)
    target = frame[task.data.target.name]
    if task.classes:
        classes = pd.Series(task.data.encode_target(target)).value_counts()
        distribution = {
            str(label): int(classes.get(code, 0)) for code, label in enumerate(task.classes)
        }
    else:
        summary = target.astype(float).describe()
        distribution = {name: float(summary[name]) for name in ("mean", "std", "min", "50%", "max")}
    return TrainingData(
        path=str(path),
        dvc_md5=lineage.dvc_lock_hashes().get(str(path)),
        md5=lineage.file_md5(path),
        rows=len(frame),
        distribution=distribution,
    )


def data_notes(
    version: str, tags: dict[str, str], training: TrainingData, commit: str
) -> list[str]:
    """Whether the data checked out is the data the version was trained on: the card measures
    the checked-out test split, which came from the same split as the training data."""
    trained_on = tags.get("train_data_md5")
    measured = (
        "the training data and every number measured on the test split below describe the "
        "data checked out now"
    )
    if trained_on is None:
        return [f"version {version} does not record the md5 of its training data: {measured}"]
    if trained_on != training.md5:
        return [
            f"version {version} was trained on training data of md5 {trained_on}, but "
            f"{training.path} now has md5 {training.md5}: {measured}, not this version's (its "
            f"own: git checkout {commit}, dvc checkout, make card)"
        ]
    return []


def publish_card(client: MlflowClient, params: Params, version: ModelVersion) -> ModelCard:
    """Build the card, write it to params.yaml's paths and attach it to the run and version."""
    card = build_card(client, params, version)
    markdown, html = to_markdown(card), to_html(card)
    for path, text in ((params.paths.model_card, markdown), (params.paths.model_card_html, html)):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    run_id = card.lineage["run_id"]
    if run_id:
        client.log_text(run_id, markdown, f"{ARTIFACT_DIR}/{MARKDOWN_FILE}")
        client.log_text(run_id, html, f"{ARTIFACT_DIR}/{HTML_FILE}")
    client.update_model_version(
        version.name, str(version.version), description=registry_description(markdown)
    )
    return card


def registry_description(markdown: str, limit: int = DESCRIPTION_LIMIT) -> str:
    """The card as the version's description: whole if it fits, else its first sections and
    where to read the rest."""
    if len(markdown) <= limit:
        return markdown
    rest = (
        f"\n\n*The card goes on in the run's artifact {ARTIFACT_DIR}/{MARKDOWN_FILE} "
        "(and as a page, next to it).*\n"
    )
    kept = markdown[: limit - len(rest)]
    section = kept.rfind("\n#### ")
    return (kept[:section] if section > 0 else kept).rstrip() + rest
