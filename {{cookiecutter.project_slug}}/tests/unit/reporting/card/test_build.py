"""What the card takes from params.yaml, the training data and the registry's tags."""

import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.core.config import load_params
from {{ cookiecutter.package_name }}.core.data import write_table
from {{ cookiecutter.package_name }}.core.description import DESCRIPTION_FILE
from {{ cookiecutter.package_name }}.core.errors import ConfigError
from {{ cookiecutter.package_name }}.core.tasks import project_task
from {{ cookiecutter.package_name }}.registry.lineage import file_md5
from {{ cookiecutter.package_name }}.reporting.card.build import (
    TrainingData,
    check_columns,
    data_notes,
    registry_description,
    training_data,
)

from tests.synthetic import synthetic_frame
from tests.unit.descriptions import every_kind
from tests.unit.reporting.card.conftest import SETTINGS

PARAMS = load_params()


def test_the_columns_the_card_groups_by_are_declared_ones():
    data = every_kind()
    # Features, the time and a column kept out of the model are all fine.
    check_columns(SETTINGS.model_copy(update={"slices": ("size", "signed_up", "note")}), data)
    unknown = SETTINGS.model_copy(update={"slices": ("size", "nope")})
    with pytest.raises(ConfigError) as raised:
        check_columns(unknown, data)
    assert str(raised.value).startswith(
        f"params.yaml card.slices: 'nope' is not a column {DESCRIPTION_FILE} declares; "
        "its columns: customer, signed_up, size"
    )
    with pytest.raises(ConfigError, match=r"^params\.yaml card\.sensitive_column: 'nope' is not"):
        check_columns(SETTINGS.model_copy(update={"sensitive_column": "nope"}), data)
    target = SETTINGS.model_copy(update={"sensitive_column": data.target.name})
    with pytest.raises(
        ConfigError, match=r"^params\.yaml card\.sensitive_column: 'outcome' is the"
    ):
        check_columns(target, data)


def test_the_training_data_is_counted_from_its_file(tmp_path):
    task = project_task(PARAMS.task.kind)
    frame = synthetic_frame(120, seed=4)
    path = tmp_path / "train.csv"
    write_table(frame, path)
    training = training_data(path, task)
    assert (training.rows, training.md5, training.dvc_md5) == (120, file_md5(path), None)
    target = frame[task.data.target.name]
    if task.classes:
        counts = target.value_counts()
        assert training.distribution == {str(label): counts[label] for label in task.classes}
    else:
        assert training.distribution["mean"] == pytest.approx(target.mean())
        assert training.distribution["max"] == pytest.approx(target.max())


def test_a_version_trained_on_other_data_says_so(tmp_path):
    path = tmp_path / "train.csv"
    write_table(pd.DataFrame({"a": [1, 2]}), path)
    training = TrainingData(str(path), None, file_md5(path), 2, {})
    assert data_notes("4", {"train_data_md5": training.md5}, training, "c0ffee") == []
    (other,) = data_notes("4", {"train_data_md5": "0" * 32}, training, "c0ffee")
    assert other.startswith(
        f"version 4 was trained on training data of md5 {'0' * 32}, but {path} now has md5 "
        f"{training.md5}: the training data and every number measured on the test split below "
        "describe the data checked out now, not this version's"
    )
    assert "git checkout c0ffee" in other
    (unknown,) = data_notes("4", {}, training, "c0ffee")
    assert unknown.startswith("version 4 does not record the md5 of its training data")


def test_a_long_card_is_cut_at_a_section_for_the_registry():
    sections = [f"#### Section {index}\n\n" + "x" * 900 for index in range(8)]
    markdown = "### Model card\n\n" + "\n\n".join(sections) + "\n"
    assert registry_description(markdown[:3000]) == markdown[:3000]
    cut = registry_description(markdown)
    assert len(cut) <= 5000
    note = (
        "\n\n*The card goes on in the run's artifact model_card/model-card.md (and as a page, "
        "next to it).*\n"
    )
    assert cut.endswith(note)
    # Whole sections, as many as fit.
    kept = cut.removesuffix(note)
    assert markdown.startswith(kept)
    assert markdown[len(kept) :].startswith("\n\n#### Section")
    assert "#### Section 3" in kept
