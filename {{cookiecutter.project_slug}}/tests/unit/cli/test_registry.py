import json

import pytest

from {{ cookiecutter.package_name }}.cli.main import main
from {{ cookiecutter.package_name }}.registry.versions import CHALLENGER, CHAMPION


def test_the_ui_of_a_tracking_server_is_the_servers_own(monkeypatch, capsys):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "https://alice:secret@mlflow.example.com")
    assert main(["ui"]) == 0
    said = capsys.readouterr().out.strip()
    assert said == "runs and models are on the tracking server: open https://***@mlflow.example.com"


def test_the_ui_of_a_store_not_created_yet_is_one_clear_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path}/absent.db")
    assert main(["ui"]) == 1
    assert "the database does not exist yet" in capsys.readouterr().err


def gate_files(params) -> tuple[dict, str]:
    """The decision and summary the gate wrote, which are then removed."""
    decision = json.loads(params.paths.gate_decision.read_text())
    summary = params.paths.gate_summary.read_text()
    params.paths.gate_decision.unlink()
    params.paths.gate_summary.unlink()
    return decision, summary


@pytest.mark.parametrize("flags", [[], ["--fail-on-reject"]], ids=["plain", "fail-on-reject"])
def test_a_gate_that_passes_exits_0_and_promotes_nothing(gate_store, capsys, flags):
    store = gate_store
    store.set_aliases(champion=store.worse, challenger=store.better)
    assert main(["gate", *flags]) == 0
    decision, summary = gate_files(store.params)
    assert (decision["passed"], decision["challenger_version"], decision["champion_version"]) == (
        True,
        store.better,
        store.worse,
    )
    assert summary.startswith(f"### Quality gate: challenger v{store.better} passes\n")
    assert capsys.readouterr().out == summary + "\n"
    assert store.aliases() == {CHAMPION: store.worse, CHALLENGER: store.better}


def test_a_rejection_fails_the_command_only_with_fail_on_reject(gate_store, capsys):
    store = gate_store
    store.set_aliases(champion=store.better, challenger=store.worse)
    for flags, status in [([], 0), (["--fail-on-reject"], 1)]:
        assert main(["gate", *flags]) == status
        decision, summary = gate_files(store.params)
        assert (decision["passed"], decision["challenger_version"]) == (False, store.worse)
        assert summary.startswith(f"### Quality gate: challenger v{store.worse} does not pass\n")
    assert capsys.readouterr().err == ""
    assert store.aliases() == {CHAMPION: store.better, CHALLENGER: store.worse}


def test_the_gate_judges_the_version_named(gate_store):
    store = gate_store
    # Just promoted: the challenger is the champion, so it improves on nothing.
    store.set_aliases(champion=store.worse, challenger=store.worse)
    assert main(["gate", "--fail-on-reject"]) == 1
    assert gate_files(store.params)[0]["challenger_version"] == store.worse
    assert main(["gate", "--version", store.better, "--fail-on-reject"]) == 0
    decision, _ = gate_files(store.params)
    assert (decision["passed"], decision["challenger_version"], decision["champion_version"]) == (
        True,
        store.better,
        store.worse,
    )


@pytest.mark.parametrize(
    ("flags", "missing"),
    [(["--version", "9"], "9"), ([], CHALLENGER)],
    ids=["unknown-version", "no-challenger"],
)
def test_a_gate_with_nothing_to_judge_is_one_clear_line(gate_store, capsys, flags, missing):
    store = gate_store
    store.set_aliases(champion=store.worse)
    assert main(["gate", *flags]) == 1
    assert capsys.readouterr().err == (
        f"error: model {store.name!r} has no version or alias {missing!r}\n"
    )
    assert not store.params.paths.gate_decision.exists()
    assert not store.params.paths.gate_summary.exists()
