"""Registration refuses a model the pipeline did not finish with, whatever the data; a
rollback that has nothing to go back to changes nothing; every promotion records who made it."""

import shutil
from pathlib import Path

import pytest
import yaml

from {{ cookiecutter.package_name }} import lineage, registry
from {{ cookiecutter.package_name }}.config import PARAMS_FILE, load_params
from {{ cookiecutter.package_name }}.errors import ProjectError


def write_lock(path, model: str, trained: str, evaluated: str | None) -> None:
    stages = {"train": {"cmd": "train", "outs": [{"path": model, "md5": trained}]}}
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
