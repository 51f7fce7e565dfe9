"""The gate's rules, each metric judged in its own direction, on metrics made for each case;
promotion with nothing to judge."""

import pytest

from {{ cookiecutter.package_name }} import registry
from {{ cookiecutter.package_name }}.config import GateParams
from {{ cookiecutter.package_name }}.errors import ProjectError
from {{ cookiecutter.package_name }}.gate import GateDecision, judge, promote_if_better
from {{ cookiecutter.package_name }}.tasks import TASKS

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
