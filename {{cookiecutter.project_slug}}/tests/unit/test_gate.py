import pytest

from {{ cookiecutter.package_name }}.config import GateParams
from {{ cookiecutter.package_name }}.gate import GateDecision, judge

RULES = GateParams(
    primary_metric="f1",
    min_primary=0.85,
    min_improvement=0.0,
    max_secondary_drop={"roc_auc": 0.01},
)


def scores(f1: float, roc_auc: float = 0.99) -> dict[str, float]:
    return {"f1": f1, "roc_auc": roc_auc}


def test_the_first_version_needs_only_the_minimum():
    passed, reasons = judge(RULES, scores(0.9), champion=None)
    assert passed
    assert "no champion yet" in reasons[-1]


def test_a_first_version_below_the_minimum_fails():
    passed, reasons = judge(RULES, scores(0.8), champion=None)
    assert not passed
    assert "below the minimum 0.85" in reasons[0]


def test_a_better_challenger_passes():
    assert judge(RULES, scores(0.95), champion=scores(0.9))[0]


@pytest.mark.parametrize("challenger_f1", [0.9, 0.89], ids=["equal", "worse"])
def test_a_challenger_that_is_not_better_fails(challenger_f1):
    passed, reasons = judge(RULES, scores(challenger_f1), champion=scores(0.9))
    assert not passed
    assert "not more than the required 0.0" in reasons[1]


def test_a_required_improvement_is_enforced():
    rules = RULES.model_copy(update={"min_improvement": 0.05})
    assert not judge(rules, scores(0.93), champion=scores(0.9))[0]
    assert judge(rules, scores(0.96), champion=scores(0.9))[0]


def test_a_secondary_metric_that_drops_too_far_fails():
    passed, reasons = judge(RULES, scores(0.95, roc_auc=0.97), champion=scores(0.9, roc_auc=0.99))
    assert not passed
    assert "roc_auc drops by 0.0200 (beyond the allowed 0.01)" in reasons


def test_the_summary_shows_both_versions_side_by_side():
    decision = GateDecision(
        passed=False,
        challenger_version="3",
        champion_version="2",
        challenger_metrics=scores(0.9),
        champion_metrics=scores(0.95),
        reasons=["f1 changes by -0.0500"],
    )
    summary = decision.to_markdown()
    assert "challenger v3 does not pass" in summary
    assert "| f1 | 0.9000 | 0.9500 |" in summary
    assert '"champion_version": "2"' in decision.to_json()
