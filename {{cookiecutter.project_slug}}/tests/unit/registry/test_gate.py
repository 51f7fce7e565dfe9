"""The gate's rules, each metric judged in its own direction, on metrics made for each case;
what it writes; models it cannot compare; and promotion through it, in a real registry."""

import json
import math

import numpy as np
import pandas as pd
import pytest
from sklearn.dummy import DummyClassifier, DummyRegressor

from {{ cookiecutter.package_name }}.core.config import GateParams
from {{ cookiecutter.package_name }}.core.errors import ProjectError
from {{ cookiecutter.package_name }}.core.tasks import TASKS, project_task, task_for
from {{ cookiecutter.package_name }}.project.schema import DATA
from {{ cookiecutter.package_name }}.registry import versions as registry
from {{ cookiecutter.package_name }}.registry.gate import (
    DECISION_TAG,
    GateDecision,
    incomparable,
    judge,
    promote_if_better,
)

from tests.saved_models import save_model
from tests.unit.descriptions import every_kind

# Lower is better for the primary metric, greater for the secondary one.
REGRESSION = TASKS["regression"].metrics
RMSE_RULES = GateParams(
    primary_metric="rmse",
    worst_acceptable=10.0,
    min_improvement=0.0,
    max_secondary_drop={"r2": 0.05},
)
# Greater is better for the primary metric, lower for the secondary one.
BINARY = TASKS["binary"].metrics
ROC_AUC_RULES = GateParams(
    primary_metric="roc_auc",
    worst_acceptable=0.6,
    min_improvement=0.0,
    max_secondary_drop={"log_loss": 0.01},
)


def regression(rmse: float, r2: float = 0.8) -> dict[str, float]:
    return {"rmse": rmse, "mae": rmse / 2, "r2": r2}


def binary(roc_auc: float, log_loss: float = 0.3) -> dict[str, float]:
    return {"roc_auc": roc_auc, "log_loss": log_loss}


def test_a_first_version_within_a_maximum_passes():
    passed, reasons = judge(RMSE_RULES, REGRESSION, regression(9.0), champion=None)
    assert passed
    assert reasons == [
        "rmse 9.0000 meets the maximum 10.0",
        "no champion yet: the first version that meets the maximum wins",
    ]


def test_a_first_version_beyond_a_maximum_fails():
    passed, reasons = judge(RMSE_RULES, REGRESSION, regression(12.0), champion=None)
    assert not passed
    assert reasons[0] == "rmse 12.0000 misses the maximum 10.0"


def test_a_first_version_below_a_minimum_fails():
    passed, reasons = judge(ROC_AUC_RULES, BINARY, binary(0.55), champion=None)
    assert not passed
    assert reasons[0] == "roc_auc 0.5500 misses the minimum 0.6"


def test_a_lower_error_than_the_champions_passes():
    passed, reasons = judge(RMSE_RULES, REGRESSION, regression(7.0), champion=regression(8.0))
    assert passed
    assert reasons[1] == "rmse improves by +1.0000 on the champion (more than the required 0.0)"


@pytest.mark.parametrize("rmse", [8.0, 8.5], ids=["equal", "higher"])
def test_an_error_not_lower_than_the_champions_fails(rmse):
    passed, reasons = judge(RMSE_RULES, REGRESSION, regression(rmse), champion=regression(8.0))
    assert not passed
    assert "(not more than the required 0.0)" in reasons[1]


@pytest.mark.parametrize("roc_auc", [0.8, 0.75], ids=["equal", "lower"])
def test_a_score_not_higher_than_the_champions_fails(roc_auc):
    passed, reasons = judge(ROC_AUC_RULES, BINARY, binary(roc_auc), champion=binary(0.8))
    assert not passed
    assert "(not more than the required 0.0)" in reasons[1]
    assert judge(ROC_AUC_RULES, BINARY, binary(0.85), champion=binary(0.8))[0]


def test_a_required_improvement_is_enforced_in_the_metrics_direction():
    rules = RMSE_RULES.model_copy(update={"min_improvement": 0.5})
    assert not judge(rules, REGRESSION, regression(7.6), champion=regression(8.0))[0]
    assert judge(rules, REGRESSION, regression(7.4), champion=regression(8.0))[0]


def test_a_secondary_score_that_drops_too_far_fails():
    challenger, champion = regression(7.0, r2=0.7), regression(8.0, r2=0.8)
    passed, reasons = judge(RMSE_RULES, REGRESSION, challenger, champion)
    assert not passed
    assert reasons[2] == "r2 gets worse by 0.1000 (beyond the allowed 0.05)"


def test_a_secondary_loss_that_rises_too_far_fails():
    challenger, champion = binary(0.9, log_loss=0.35), binary(0.8, log_loss=0.3)
    passed, reasons = judge(ROC_AUC_RULES, BINARY, challenger, champion)
    assert not passed
    assert reasons[2] == "log_loss gets worse by 0.0500 (beyond the allowed 0.01)"


def test_a_secondary_metric_that_improves_is_within_any_allowance():
    challenger, champion = binary(0.9, log_loss=0.2), binary(0.8, log_loss=0.3)
    passed, reasons = judge(ROC_AUC_RULES, BINARY, challenger, champion)
    assert passed
    assert reasons[2] == "log_loss gets worse by 0.0000 (within the allowed 0.01)"


def test_a_secondary_metric_that_drops_by_exactly_its_allowance_is_within():
    # Values that binary floating point holds exactly, so the drop is the allowance itself.
    rules = RMSE_RULES.model_copy(update={"max_secondary_drop": {"r2": 0.25}})
    challenger, champion = regression(7.0, r2=0.5), regression(8.0, r2=0.75)
    passed, reasons = judge(rules, REGRESSION, challenger, champion)
    assert passed
    assert reasons[2] == "r2 gets worse by 0.2500 (within the allowed 0.25)"
    rules = ROC_AUC_RULES.model_copy(update={"max_secondary_drop": {"log_loss": 0.25}})
    challenger, champion = binary(0.875, log_loss=0.5), binary(0.75, log_loss=0.25)
    passed, reasons = judge(rules, BINARY, challenger, champion)
    assert passed
    assert reasons[2] == "log_loss gets worse by 0.2500 (within the allowed 0.25)"


def test_the_summary_shows_both_versions_side_by_side():
    decision = GateDecision(
        passed=False,
        challenger_version="3",
        champion_version="2",
        challenger_metrics=regression(9.0),
        champion_metrics=regression(8.0),
        reasons=["rmse improves by -1.0000 on the champion"],
    )
    summary = decision.to_markdown()
    assert "challenger v3 does not pass" in summary
    assert "Compared with champion v2" in summary
    assert "| rmse | 9.0000 | 8.0000 |" in summary
    assert "- rmse improves by -1.0000 on the champion" in summary
    assert '"champion_version": "2"' in decision.to_json()


def test_the_first_summary_has_no_champion_column_values():
    decision = GateDecision(True, "1", None, binary(0.9), None, ["no champion yet"])
    assert "Compared with no champion" in decision.to_markdown()
    assert "| roc_auc | 0.9000 | n/a |" in decision.to_markdown()


def test_promotion_without_a_challenger_says_to_register_and_keeps_the_champion(registry_store):
    store = registry_store
    store.set_aliases(champion=store.worse)
    with pytest.raises(ProjectError) as refused:
        promote_if_better(store.client, store.params)
    assert str(refused.value) == (
        f"model {store.name!r} has no challenger; run `make register` first"
    )
    assert store.aliases() == {registry.CHAMPION: store.worse}
    # Nothing was judged.
    assert not store.params.paths.gate_decision.exists()
    assert not store.params.paths.gate_summary.exists()


def test_the_decision_file_is_indented_json_ending_with_a_newline():
    decision = GateDecision(True, "1", None, {"roc_auc": 0.5}, None, ["first"])
    assert decision.to_json() == (
        '{\n  "passed": true,\n  "challenger_version": "1",\n  "champion_version": null,\n'
        '  "challenger_metrics": {\n    "roc_auc": 0.5\n  },\n  "champion_metrics": null,\n'
        '  "reasons": [\n    "first"\n  ]\n}\n'
    )


def test_the_summary_names_a_champion_that_could_not_be_compared():
    reasons = ["roc_auc 0.9000 meets the minimum 0.6", "champion version 2 is not compared: why"]
    decision = GateDecision(True, "3", "2", binary(0.9), None, reasons)
    assert decision.to_markdown() == (
        "### Quality gate: challenger v3 passes\n"
        "\n"
        "Compared with no comparable champion (v2 is not, see below) on the same held-out data.\n"
        "\n"
        "| metric | challenger | champion |\n"
        "|---|---|---|\n"
        "| roc_auc | 0.9000 | n/a |\n"
        "| log_loss | 0.3000 | n/a |\n"
        "\n"
        "- roc_auc 0.9000 meets the minimum 0.6\n"
        "- champion version 2 is not compared: why\n"
    )


# Models the gate can or cannot score on the project's test set -------------------------------

# Inputs that are not the description's: more of them than a message names.
OTHER_INPUTS = ["a", "b", "c", "d", "e", "f", "g"]


def fitted(estimator, columns: list[str] | None = None, classes: int = 0):
    """The estimator fitted on four rows of these named inputs (None: unnamed ones), to predict
    `classes` classes, or numbers when 0."""
    rows = np.zeros((4, len(columns or DATA.feature_names)))
    inputs = rows if columns is None else pd.DataFrame(rows, columns=columns)
    target = [index % classes for index in range(4)] if classes else [0.0, 1.0, 2.0, 3.0]
    return estimator.fit(inputs, target)


def declared_inputs() -> str:
    """How a message names the description's inputs: the first five, then how many more."""
    names = DATA.feature_names
    more = f", and {len(names) - 5} more" if len(names) > 5 else ""
    return ", ".join(names[:5]) + more


@pytest.mark.parametrize(
    ("columns", "named"),
    [(OTHER_INPUTS, "a, b, c, d, e, and 2 more"), (OTHER_INPUTS[:5], "a, b, c, d, e")],
    ids=["seven", "five"],
)
def test_a_model_of_other_inputs_is_not_comparable(columns, named):
    model = fitted(DummyRegressor(), columns)
    assert incomparable(model, task_for("regression", every_kind("regression"))) == (
        f"it takes the inputs {named}, not schema.py's {declared_inputs()}"
    )


@pytest.mark.parametrize(
    ("kind", "classes", "problem"),
    [
        ("binary", 0, "it predicts a number, where this binary task predicts 2 classes"),
        ("regression", 2, "it predicts 2 classes, where this regression task predicts a number"),
        ("multiclass", 2, "it predicts 2 classes, where this multiclass task predicts 3 classes"),
        ("binary", 2, None),
        ("multiclass", 3, None),
        ("regression", 0, None),
    ],
)
def test_a_model_predicting_other_things_than_the_task_is_not_comparable(kind, classes, problem):
    estimator = DummyClassifier() if classes else DummyRegressor()
    model = fitted(estimator, DATA.feature_names, classes)
    assert incomparable(model, task_for(kind, every_kind(kind))) == problem


def test_a_model_that_kept_no_input_names_is_taken_to_have_the_declared_ones():
    model = fitted(DummyClassifier(), None, classes=2)
    assert incomparable(model, task_for("binary", every_kind("binary"))) is None


# Promotion through the gate, in a real registry -----------------------------------------------


def tags(store, version: str) -> dict[str, str]:
    return store.client.get_model_version(store.name, version).tags


def add_other_inputs_version(store, tmp_path) -> str:
    """Register a model that takes other inputs than the description's; return its version."""
    model = fitted(DummyRegressor(), OTHER_INPUTS)
    features = pd.DataFrame(np.zeros((4, len(OTHER_INPUTS))), columns=OTHER_INPUTS)
    saved = save_model(model, features, tmp_path / "other-inputs")
    return str(store.add_version(saved).version)


def test_a_challenger_that_beats_the_champion_replaces_it_with_the_gates_reasons(gate_store):
    store = gate_store
    store.set_aliases(champion=store.worse, challenger=store.better)
    decision, outcome = promote_if_better(store.client, store.params)
    assert decision.passed
    assert outcome == f"version {store.better} is now the champion, replacing version {store.worse}"
    assert store.aliases() == {registry.CHAMPION: store.better, registry.CHALLENGER: store.better}
    promoted = tags(store, store.better)
    assert promoted["promotion_reason"] == "; ".join(decision.reasons)
    assert promoted[registry.PREVIOUS_CHAMPION_TAG] == store.worse
    # Both versions were scored on the same metrics, and the decision is kept on the challenger.
    assert set(decision.champion_metrics) == set(decision.challenger_metrics)
    assert promoted[DECISION_TAG] == decision.to_json()
    assert store.params.paths.gate_decision.read_text() == decision.to_json()
    assert store.params.paths.gate_summary.read_text() == decision.to_markdown()


def test_a_first_version_that_passes_becomes_the_champion(gate_store):
    # The decision goes to a folder of its own, which the gate creates.
    store = gate_store.with_params(
        paths={"gate_decision": "reports/gate/gate.json", "gate_summary": "reports/gate/gate.md"}
    )
    store.set_aliases(challenger=store.better)
    decision, outcome = promote_if_better(store.client, store.params)
    assert (decision.passed, decision.champion_version, decision.champion_metrics) == (
        True,
        None,
        None,
    )
    assert outcome == f"version {store.better} is now the champion"
    assert store.aliases() == {registry.CHAMPION: store.better, registry.CHALLENGER: store.better}
    assert json.loads(store.params.paths.gate_decision.read_text())["passed"] is True


def test_a_challenger_that_is_already_the_champion_is_not_judged_again(gate_store):
    store = gate_store
    store.set_aliases(champion=store.better, challenger=store.better)
    before = tags(store, store.better)
    assert promote_if_better(store.client, store.params) == (
        None,
        f"version {store.better} is already the champion; nothing to do",
    )
    assert tags(store, store.better) == before
    assert not store.params.paths.gate_decision.exists()


def test_a_challenger_that_does_not_beat_the_champion_leaves_it_serving(gate_store):
    store = gate_store
    store.set_aliases(champion=store.better, challenger=store.worse)
    decision, outcome = promote_if_better(store.client, store.params)
    assert not decision.passed
    assert outcome == (
        f"challenger version {store.worse} is not promoted; champion stays version {store.better}"
    )
    assert store.aliases() == {registry.CHAMPION: store.better, registry.CHALLENGER: store.worse}
    assert tags(store, store.worse)[DECISION_TAG] == decision.to_json()
    assert "promoted_by" not in tags(store, store.worse)


@pytest.mark.parametrize(
    ("greater_is_better", "relax"), [(True, "lower"), (False, "raise")], ids=["minimum", "maximum"]
)
def test_a_first_version_that_fails_says_which_way_to_relax_the_bar(
    gate_store, greater_is_better, relax
):
    metrics = project_task(gate_store.params.task.kind).metrics.values()
    primary = next(metric for metric in metrics if metric.greater_is_better is greater_is_better)
    # A bar no value reaches.
    unreachable = math.inf if greater_is_better else -math.inf
    store = gate_store.with_params(
        gate={"primary_metric": primary.name, "worst_acceptable": unreachable}
    )
    store.set_aliases(challenger=store.better)
    decision, outcome = promote_if_better(store.client, store.params)
    assert not decision.passed
    assert outcome == (
        f"challenger version {store.better} is not promoted and there is no champion yet; "
        f"improve the model, or {relax} gate.worst_acceptable in params.yaml if {primary.name} "
        "is good enough for a first version, or promote it by hand: "
        f"make promote VERSION={store.better} REASON=..."
    )
    assert store.aliases() == {registry.CHALLENGER: store.better}


def test_a_champion_of_other_inputs_is_not_compared_and_the_rules_alone_judge(gate_store, tmp_path):
    store = gate_store
    other = add_other_inputs_version(store, tmp_path)
    store.set_aliases(champion=other, challenger=store.better)
    decision, outcome = promote_if_better(store.client, store.params)
    assert (decision.passed, decision.champion_version, decision.champion_metrics) == (
        True,
        other,
        None,
    )
    assert len(decision.reasons) == 2
    assert decision.reasons[0].startswith(f"{store.params.gate.primary_metric} ")
    assert decision.reasons[1] == (
        f"champion version {other} is not compared: it takes the inputs "
        f"a, b, c, d, e, and 2 more, not schema.py's {declared_inputs()}"
    )
    assert outcome == f"version {store.better} is now the champion, replacing version {other}"


def test_a_challenger_of_other_inputs_is_refused_before_anything_is_written(gate_store, tmp_path):
    store = gate_store
    other = add_other_inputs_version(store, tmp_path)
    store.set_aliases(champion=store.better, challenger=other)
    with pytest.raises(ProjectError) as refused:
        promote_if_better(store.client, store.params)
    assert str(refused.value) == (
        f"version {other} cannot be judged on {store.params.paths.test_data}: it takes the "
        f"inputs a, b, c, d, e, and 2 more, not schema.py's {declared_inputs()}; register a "
        "model trained by the current pipeline (make repro register)"
    )
    assert DECISION_TAG not in tags(store, other)
    assert not store.params.paths.gate_decision.exists()
    assert store.aliases() == {registry.CHAMPION: store.better, registry.CHALLENGER: other}
