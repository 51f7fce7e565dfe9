"""Registration refuses a model the pipeline did not finish with, whatever the data, and
registers a finished one once; a rollback that has nothing to go back to changes nothing; every
promotion records who made it, when and why; versions are found by alias, number or URI, and
trace back to their run."""

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from mlflow.entities import Dataset, DatasetInput

from {{ cookiecutter.package_name }}.core.config import PARAMS_FILE, load_params
from {{ cookiecutter.package_name }}.core.errors import ProjectError
from {{ cookiecutter.package_name }}.registry import lineage
from {{ cookiecutter.package_name }}.registry import versions as registry

from tests.saved_models import edit_mlmodel


def write_lock(
    path, model: str, trained: str, evaluated: str | None, raw_data: dict[str, str] | None = None
) -> None:
    """dvc.lock of a run that trained `model`, evaluated the model of hash `evaluated` (None:
    stopped before evaluating), and validated `raw_data` ({path: md5}) first."""
    stages = {"train": {"cmd": "train", "outs": [{"path": model, "md5": trained}]}}
    if raw_data:
        deps = [{"path": name, "md5": md5} for name, md5 in raw_data.items()]
        stages["validate"] = {"cmd": "validate", "deps": deps}
    if evaluated is not None:
        stages["evaluate"] = {"cmd": "evaluate", "deps": [{"path": model, "md5": evaluated}]}
    path.write_text(yaml.safe_dump({"schema": "2.0", "stages": stages}))


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    """An empty project directory with the project's params. The checks come before any
    connection to the registry, so there is none."""
    shutil.copy(PARAMS_FILE, tmp_path / "params.yaml")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path}/absent.db")
    return tmp_path


def test_the_current_output_hash_wins_over_a_stale_dependency(tmp_path):
    lock = tmp_path / "dvc.lock"
    write_lock(lock, "models/model", trained="new", evaluated="old")
    assert lineage.dvc_lock_hashes(lock)["models/model"] == "new"
    assert lineage.dvc_lock_stages(lock)["evaluate"]["deps"] == {"models/model": "old"}


@pytest.mark.parametrize("evaluated", [None, "an older model"])
def test_a_model_the_pipeline_did_not_evaluate_is_not_registered(workspace, evaluated):
    params = load_params()
    model = str(params.paths.model)
    write_lock(workspace / "dvc.lock", model, trained="this model", evaluated=evaluated)
    params.paths.metrics.parent.mkdir(parents=True, exist_ok=True)
    params.paths.metrics.write_text("{}")
    with pytest.raises(ProjectError, match=r"stopped before the evaluate stage; run `make repro`"):
        registry.register(params)


def test_a_model_without_metrics_is_not_registered(workspace):
    params = load_params()
    model = str(params.paths.model)
    write_lock(workspace / "dvc.lock", model, trained="this model", evaluated="this model")
    with pytest.raises(ProjectError, match=r"has no metrics"):
        registry.register(params)


def tags(store, version: str) -> dict[str, str]:
    return store.client.get_model_version(store.name, version).tags


def every_tag(store) -> dict[str, dict[str, str]]:
    return {version: tags(store, version) for version in store.versions()}


def test_a_rollback_without_a_champion_names_the_fix_and_changes_nothing(registry_store):
    store = registry_store
    store.set_aliases(challenger=store.better)
    before = every_tag(store)
    with pytest.raises(ProjectError) as refused:
        registry.rollback(store.client, store.name)
    assert str(refused.value).startswith(
        f"model {store.name!r} has no champion, so there is nothing to roll back; "
    )
    assert "`make promote`" in str(refused.value)
    assert store.aliases() == {registry.CHALLENGER: store.better}
    assert every_tag(store) == before


def test_a_rollback_of_a_first_champion_names_the_fix_and_changes_nothing(registry_store):
    store = registry_store
    store.set_aliases(challenger=store.better)
    assert registry.promote(store.client, store.name, store.better, reason="first") is None
    before = every_tag(store)
    with pytest.raises(ProjectError) as refused:
        registry.rollback(store.client, store.name)
    assert str(refused.value).startswith(
        f"champion {store.name!r} version {store.better} replaced no earlier champion"
    )
    assert str(refused.value).endswith(
        "promote the version to serve by hand: `make promote VERSION=<n>`"
    )
    assert store.aliases() == {registry.CHAMPION: store.better, registry.CHALLENGER: store.better}
    assert every_tag(store) == before


@pytest.mark.parametrize("lock", ["absent", "without the model"])
def test_a_model_dvc_lock_has_no_hash_for_is_not_registered(registry_store, lock):
    store = registry_store
    if lock != "absent":
        # The stages before train ran; train did not.
        train_data = {"path": str(store.params.paths.train_data), "md5": "prepared"}
        stages = {"prepare": {"cmd": "prepare", "outs": [train_data]}}
        Path("dvc.lock").write_text(yaml.safe_dump({"schema": "2.0", "stages": stages}))
    with pytest.raises(ProjectError) as refused:
        registry.register(store.params)
    assert str(refused.value) == (
        f"dvc.lock has no hash for {store.params.paths.model}; run `make repro` before registering"
    )
    assert store.versions() == [store.worse, store.better]
    assert store.aliases() == {}


# In the order the promoter is looked for.
CI_ACTORS = ("GITHUB_ACTOR", "BUILD_REQUESTEDFOR", "GITLAB_USER_LOGIN")


def as_promoter(monkeypatch, **actors: str) -> None:
    """Run as these CI actors (none: a local user named `local-user`)."""
    for variable in CI_ACTORS:
        monkeypatch.delenv(variable, raising=False)
    for variable, value in actors.items():
        monkeypatch.setenv(variable, value)
    # The first variable that names the local user.
    monkeypatch.setenv("LOGNAME", "local-user")


@pytest.mark.parametrize(
    ("actors", "recorded"),
    [
        (
            {"GITHUB_ACTOR": "octocat", "BUILD_REQUESTEDFOR": "Ada", "GITLAB_USER_LOGIN": "gl"},
            "octocat",
        ),
        ({"GITHUB_ACTOR": "", "BUILD_REQUESTEDFOR": "Ada", "GITLAB_USER_LOGIN": "gl"}, "Ada"),
        ({"BUILD_REQUESTEDFOR": "Ada", "GITLAB_USER_LOGIN": "gl"}, "Ada"),
        ({"GITLAB_USER_LOGIN": "gl"}, "gl"),
        ({}, "local-user"),
    ],
    ids=["github-first", "empty-is-unset", "azure", "gitlab", "local"],
)
def test_the_promoter_is_the_first_ci_actor_else_the_local_user(monkeypatch, actors, recorded):
    as_promoter(monkeypatch, **actors)
    assert registry.promoter() == recorded


def test_a_promotion_and_a_rollback_record_who_did_them(registry_store, monkeypatch):
    store = registry_store
    as_promoter(monkeypatch, GITHUB_ACTOR="octocat")
    registry.promote(store.client, store.name, store.worse, reason="first")
    as_promoter(monkeypatch, GITLAB_USER_LOGIN="gl")
    registry.promote(store.client, store.name, store.better, reason="better")
    as_promoter(monkeypatch)
    demoted, restored = registry.rollback(store.client, store.name)
    assert (str(demoted.version), str(restored.version)) == (store.better, store.worse)
    assert store.aliases() == {registry.CHAMPION: store.worse}
    assert tags(store, store.worse)["promoted_by"] == "octocat"
    assert tags(store, store.better)["promoted_by"] == "gl"
    assert tags(store, store.better)[registry.PREVIOUS_CHAMPION_TAG] == store.worse
    assert tags(store, store.better)["rolled_back"].endswith(" by local-user")


# A pipeline run that finished, registered for real ------------------------------------------------


def finish_pipeline(store, raw_data_md5: str | None = "raw data hash") -> str:
    """Leave the store's directory as a finished `dvc repro` does, its training run the one that
    logged the better version (with the lineage tags train sets); return that run."""
    params = store.params
    raw_data = {str(params.paths.raw_data): raw_data_md5} if raw_data_md5 else None
    model = str(params.paths.model)
    write_lock(Path("dvc.lock"), model, "this model", "this model", raw_data)
    params.paths.metrics.parent.mkdir(parents=True, exist_ok=True)
    params.paths.metrics.write_text("{}")
    run_id = store.client.get_model_version(store.name, store.better).run_id
    for key, value in {"git_commit": "abc123", "git_branch": "main", "unrelated": "x"}.items():
        store.client.set_tag(run_id, key, value)
    training_run = {"run_id": run_id, "model_uri": f"runs:/{run_id}/model"}
    params.paths.training_run.parent.mkdir(parents=True, exist_ok=True)
    params.paths.training_run.write_text(json.dumps(training_run))
    return run_id


def test_a_finished_run_is_registered_once_as_challenger_with_its_lineage(registry_store):
    store = registry_store
    run_id = finish_pipeline(store)
    registration = registry.register(store.params)
    version = str(registration.version.version)
    assert (registration.created, version) == (True, "3")
    # The model the training run logged.
    assert registration.version.run_id == run_id
    assert store.aliases() == {registry.CHALLENGER: version}
    recorded = tags(store, version)
    assert {key: recorded[key] for key in ("git_commit", "git_branch")} == {
        "git_commit": "abc123",
        "git_branch": "main",
    }
    # Only lineage tags come from the run.
    assert "unrelated" not in recorded
    assert "git_dirty" not in recorded
    assert recorded[registry.MODEL_HASH_TAG] == "this model"
    assert recorded["raw_data_md5"] == "raw data hash"
    assert recorded["run_id"] == run_id
    assert recorded["params_digest"] == lineage.params_digest(store.params.model_dump(mode="json"))
    # Check-then-create holds the embedded store's lock, which .gitignore leaves out.
    assert Path("mlflow.db.lock").exists()

    again = registry.register(store.params)
    assert (again.created, str(again.version.version)) == (False, version)
    assert store.versions() == [store.worse, store.better, version]


def test_a_model_file_registered_twice_is_found_as_its_oldest_version(registry_store):
    # As two machines registering the same file at once against a tracking server may leave it.
    store = registry_store
    for version in (store.better, store.worse):
        store.client.set_model_version_tag(store.name, version, registry.MODEL_HASH_TAG, "one file")
    found = registry.registered_version(store.client, store.name, "one file")
    assert str(found.version) == store.worse
    assert registry.registered_version(store.client, store.name, "another file") is None


def test_a_first_registration_creates_the_model_and_names_unknown_data(registry_store):
    store = registry_store.with_params(mlflow={"model_name": "another-model"})
    finish_pipeline(store, raw_data_md5=None)
    registration = registry.register(store.params)
    assert (registration.created, registration.version.name) == (True, "another-model")
    assert str(registration.version.version) == "1"
    assert registration.version.tags["raw_data_md5"] == "unknown"
    aliases = store.client.get_registered_model("another-model").aliases
    assert {alias: str(version) for alias, version in aliases.items()} == {registry.CHALLENGER: "1"}


def test_a_training_run_the_store_lacks_names_the_store_and_changes_nothing(registry_store):
    # As after a switch of MLFLOW_TRACKING_URI, or a new mlflow.db, between repro and register.
    store = registry_store
    finish_pipeline(store)
    training_run = json.loads(store.params.paths.training_run.read_text())
    store.params.paths.training_run.write_text(json.dumps({**training_run, "run_id": "0" * 32}))
    with pytest.raises(ProjectError, match=r"training run 0{32}, which the MLflow store sqlite:"):
        registry.register(store.params)
    assert store.versions() == [store.worse, store.better]


# Promotions ---------------------------------------------------------------------------------------


def utc_stamp(text: str) -> datetime:
    """A time the registry wrote: to the second, in UTC."""
    stamp = datetime.fromisoformat(text)
    assert (stamp.utcoffset(), stamp.microsecond) == (UTC.utcoffset(None), 0)
    assert abs((datetime.now(UTC) - stamp).total_seconds()) < 60
    return stamp


def test_a_promotion_records_when_and_why(registry_store):
    store = registry_store
    registry.promote(store.client, store.name, store.better, reason="better on the test set")
    recorded = tags(store, store.better)
    assert recorded["promotion_reason"] == "better on the test set"
    utc_stamp(recorded["promoted_at"])
    assert registry.PREVIOUS_CHAMPION_TAG not in recorded


def test_promoting_the_champion_again_changes_nothing(registry_store):
    store = registry_store
    registry.promote(store.client, store.name, store.worse, reason="first")
    registry.promote(store.client, store.name, store.better, reason="second")
    before = every_tag(store)
    replaced = registry.promote(store.client, store.name, store.better, reason="third")
    assert str(replaced.version) == store.better
    assert every_tag(store) == before
    assert store.aliases() == {registry.CHAMPION: store.better}


def test_a_rollback_without_a_champion_says_how_to_make_one(registry_store):
    with pytest.raises(ProjectError) as refused:
        registry.rollback(registry_store.client, registry_store.name)
    assert str(refused.value) == (
        f"model {registry_store.name!r} has no champion, so there is nothing to roll back; make "
        "one with `make promote` (or by hand: `make promote VERSION=<n>`)"
    )


def test_a_rollback_records_when_the_champion_was_rolled_back(registry_store, monkeypatch):
    store = registry_store
    registry.promote(store.client, store.name, store.worse, reason="first")
    registry.promote(store.client, store.name, store.better, reason="second")
    as_promoter(monkeypatch)
    registry.rollback(store.client, store.name)
    stamp, by = tags(store, store.better)["rolled_back"].split(" by ")
    utc_stamp(stamp)
    assert by == "local-user"


# Finding versions, loading them, and their lineage ----------------------------------------------


@pytest.mark.parametrize(
    "reference",
    ["champion", "2", "models:/{name}/2", "models:/{name}@champion"],
    ids=["alias", "number", "uri", "alias-uri"],
)
def test_a_version_is_found_by_alias_number_or_uri(registry_store, reference):
    store = registry_store
    store.set_aliases(champion=store.better, challenger=store.worse)
    found = registry.resolve(store.client, store.name, reference.format(name=store.name))
    assert (found.name, str(found.version)) == (store.name, store.better)


@pytest.mark.parametrize("reference", ["9", "challenger", "models:/{name}@champion"])
def test_a_reference_to_nothing_names_the_model_and_the_reference(registry_store, reference):
    store = registry_store
    with pytest.raises(ProjectError) as refused:
        registry.resolve(store.client, store.name, reference.format(name=store.name))
    missing = reference.format(name=store.name).rpartition("@")[2]
    assert str(refused.value) == f"model {store.name!r} has no version or alias {missing!r}"


def test_a_version_whose_model_file_is_refused_is_named(registry_store, tmp_path):
    store = registry_store
    saved = Path(
        store.client.download_artifacts(
            store.client.get_model_version(store.name, store.better).run_id, "model", tmp_path
        )
    )
    edit_mlmodel(saved, lambda mlmodel: mlmodel["flavors"].pop("sklearn"))
    version = store.add_version(saved)
    with pytest.raises(ProjectError) as refused:
        registry.load_estimator(version)
    assert str(refused.value).startswith(
        f"model {store.name!r} version {version.version}: refused to load the model: "
    )


def test_the_lineage_of_a_version_holds_its_run_tags_and_data(registry_store):
    store = registry_store
    version = store.client.get_model_version(store.name, store.better)
    run_id = version.run_id
    store.client.log_param(run_id, "C", "1.0")
    store.client.log_metric(run_id, "score", 0.75)
    data = Dataset("train", "d1", "local", "data/processed/train.csv")
    store.client.log_inputs(run_id, datasets=[DatasetInput(data)])
    for key, value in {"params_digest": "p1", "git_commit": "abc123"}.items():
        store.client.set_model_version_tag(store.name, store.better, key, value)
    store.set_aliases(champion=store.better, challenger=store.better)
    record = registry.lineage_record(store.client, registry.resolve(store.client, store.name, "2"))
    # When the version was registered, in UTC, to the millisecond MLflow keeps.
    registered_at = datetime.fromisoformat(record.pop("registered_at"))
    assert registered_at.utcoffset() == UTC.utcoffset(None)
    assert registered_at.timestamp() * 1000 == pytest.approx(version.creation_timestamp, abs=1)
    assert record == {
        "model_name": store.name,
        "version": store.better,
        "model_uri": f"models:/{store.name}/{store.better}",
        "aliases": [registry.CHALLENGER, registry.CHAMPION],
        "run_id": run_id,
        "tags": {"git_commit": "abc123", "params_digest": "p1"},
        "params": {"C": "1.0"},
        "metrics": {"score": 0.75},
        "datasets": [{"name": "train", "digest": "d1", "source": "data/processed/train.csv"}],
    }
    assert list(record["tags"]) == ["git_commit", "params_digest"]


def test_a_lineage_record_reads_as_lines_with_what_it_lacks_named():
    record = {
        "model_uri": "models:/m/2",
        "aliases": [],
        "run_id": "r1",
        "tags": {"git_commit": "abc123", "git_branch": "main", "git_dirty": "true"},
        "params": {"C": "1.0"},
        "metrics": {"score": 0.75},
    }
    assert registry.lineage_text(record).splitlines() == [
        "models:/m/2  aliases: -",
        "  run        r1",
        "  commit     abc123 on main (uncommitted changes)",
        "  raw data   md5 unknown",
        "  model      md5 unknown",
        "  params     digest unknown",
        "    C = 1.0",
        "  metrics",
        "    score = 0.7500",
    ]


def test_the_lineage_of_a_version_without_a_run_finds_the_run_its_tag_names(
    registry_store, tmp_path
):
    store = registry_store
    run_id = store.client.get_model_version(store.name, store.better).run_id
    store.client.log_param(run_id, "C", "1.0")
    named = store.add_version(tmp_path, with_run=False, run_id=run_id)
    unnamed = store.add_version(tmp_path, with_run=False)
    record = registry.lineage_record(store.client, named)
    assert (record["run_id"], record["params"]) == (run_id, {"C": "1.0"})
    record = registry.lineage_record(store.client, unnamed)
    assert (record["run_id"], record["params"], record["metrics"], record["datasets"]) == (
        None,
        {},
        {},
        [],
    )
