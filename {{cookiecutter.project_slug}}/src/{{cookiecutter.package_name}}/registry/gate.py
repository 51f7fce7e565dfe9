"""The quality gate: compare challenger and champion on the same held-out data."""

import json
from dataclasses import asdict, dataclass, field

from mlflow import MlflowClient
from mlflow.entities.model_registry import ModelVersion

from {{ cookiecutter.package_name }}.core.config import GateParams, Params
from {{ cookiecutter.package_name }}.core.data import features_and_target, read_table
from {{ cookiecutter.package_name }}.core.errors import ProjectError
from {{ cookiecutter.package_name }}.core.tasks import Metric, Task, project_task
from {{ cookiecutter.package_name }}.project.schema import DATA
from {{ cookiecutter.package_name }}.registry import versions as registry

# The judged version keeps its latest decision, as the JSON of reports/gate.json: the model card
# shows it.
DECISION_TAG = "gate_decision"


@dataclass(frozen=True)
class GateDecision:
    passed: bool
    challenger_version: str
    champion_version: str | None
    challenger_metrics: dict[str, float]
    champion_metrics: dict[str, float] | None
    reasons: list[str] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2) + "\n"

    def to_markdown(self) -> str:
        verdict = "passes" if self.passed else "does not pass"
        against = f"champion v{self.champion_version}" if self.champion_version else "no champion"
        if self.champion_version and self.champion_metrics is None:
            against = f"no comparable champion (v{self.champion_version} is not, see below)"
        lines = [
            f"### Quality gate: challenger v{self.challenger_version} {verdict}",
            "",
            f"Compared with {against} on the same held-out data.",
            "",
            "| metric | challenger | champion |",
            "|---|---|---|",
        ]
        for metric, value in self.challenger_metrics.items():
            champion = (self.champion_metrics or {}).get(metric)
            shown = "n/a" if champion is None else f"{champion:.4f}"
            lines.append(f"| {metric} | {value:.4f} | {shown} |")
        lines += ["", *(f"- {reason}" for reason in self.reasons)]
        return "\n".join(lines) + "\n"


def judge(
    rules: GateParams,
    metrics: dict[str, Metric],
    challenger: dict[str, float],
    champion: dict[str, float] | None,
) -> tuple[bool, list[str]]:
    """Apply the rules from params.yaml, each metric in its own direction; return the verdict
    and one reason per rule."""
    name = rules.primary_metric
    primary = metrics[name]
    bound = "minimum" if primary.greater_is_better else "maximum"
    reasons = []
    passed = primary.acceptable(challenger[name], rules.worst_acceptable)
    reasons.append(
        f"{name} {challenger[name]:.4f} {'meets' if passed else 'misses'} "
        f"the {bound} {rules.worst_acceptable}"
    )
    if champion is None:
        return passed, [
            *reasons,
            f"no champion yet: the first version that meets the {bound} wins",
        ]
    improvement = primary.improvement(challenger[name], champion[name])
    improved = improvement > rules.min_improvement
    reasons.append(
        f"{name} improves by {improvement:+.4f} on the champion "
        f"({'more' if improved else 'not more'} than the required {rules.min_improvement})"
    )
    passed = passed and improved
    for secondary, allowed_drop in rules.max_secondary_drop.items():
        drop = -metrics[secondary].improvement(challenger[secondary], champion[secondary])
        within = drop <= allowed_drop
        reasons.append(
            f"{secondary} gets worse by {max(drop, 0):.4f} "
            f"({'within' if within else 'beyond'} the allowed {allowed_drop})"
        )
        passed = passed and within
    return passed, reasons


def incomparable(model, task: Task) -> str | None:
    """Why a model cannot be scored on this project's test set, or None when it can: a model
    trained before the data or the task changed takes other inputs or predicts other things."""
    fitted = [str(name) for name in getattr(model, "feature_names_in_", DATA.feature_names)]
    if fitted != DATA.feature_names:
        declared = _names(DATA.feature_names)
        return f"it takes the inputs {_names(fitted)}, not schema.py's {declared}"
    classes = getattr(model, "classes_", None)
    predicts = "a number" if classes is None else f"{len(classes)} classes"
    expected = f"{len(task.classes)} classes" if task.classes else "a number"
    if predicts != expected:
        return f"it predicts {predicts}, where this {task.kind} task predicts {expected}"
    return None


def _names(names: list[str], shown: int = 5) -> str:
    more = f", and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


def evaluate_version(model, params: Params) -> dict[str, float]:
    task = project_task(params.task.kind)
    features, actual = features_and_target(read_table(params.paths.test_data))
    return task.evaluate(actual, task.scores(model, features), params.evaluate.decision_threshold)


def run_gate(
    client: MlflowClient, params: Params, challenger: ModelVersion, champion: ModelVersion | None
) -> GateDecision:
    """Score both versions, judge them, and write the decision as JSON and Markdown.

    A champion that cannot be scored on the current test set (the data or the task changed
    since it was trained) is not compared: the challenger is judged on the rules alone.
    """
    task = project_task(params.task.kind)
    model = registry.load_estimator(challenger)
    problem = incomparable(model, task)
    if problem:
        raise ProjectError(
            f"version {challenger.version} cannot be judged on {params.paths.test_data}: "
            f"{problem}; register a model trained by the current pipeline (make repro register)"
        )
    challenger_metrics = evaluate_version(model, params)
    champion_metrics, note = None, None
    if champion is not None:
        model = registry.load_estimator(champion)
        problem = incomparable(model, task)
        if problem:
            note = f"champion version {champion.version} is not compared: {problem}"
        else:
            champion_metrics = evaluate_version(model, params)
    passed, reasons = judge(params.gate, task.metrics, challenger_metrics, champion_metrics)
    if note:
        reasons = [reasons[0], note]
    decision = GateDecision(
        passed=passed,
        challenger_version=str(challenger.version),
        champion_version=str(champion.version) if champion else None,
        challenger_metrics=challenger_metrics,
        champion_metrics=champion_metrics,
        reasons=reasons,
    )
    params.paths.gate_decision.parent.mkdir(parents=True, exist_ok=True)
    params.paths.gate_decision.write_text(decision.to_json())
    params.paths.gate_summary.write_text(decision.to_markdown())
    client.set_model_version_tag(
        challenger.name, str(challenger.version), DECISION_TAG, decision.to_json()
    )
    return decision


def promote_if_better(client: MlflowClient, params: Params) -> tuple[GateDecision | None, str]:
    """Run the gate on `challenger` and promote it when it passes; return what happened."""
    name = params.mlflow.model_name
    challenger = registry.version_by_alias(client, name, registry.CHALLENGER)
    if challenger is None:
        raise ProjectError(f"model {name!r} has no challenger; run `make register` first")
    champion = registry.version_by_alias(client, name, registry.CHAMPION)
    if champion is not None and str(champion.version) == str(challenger.version):
        return None, f"version {challenger.version} is already the champion; nothing to do"
    decision = run_gate(client, params, challenger, champion)
    if not decision.passed:
        if champion is None:
            primary = project_task(params.task.kind).metrics[params.gate.primary_metric]
            # Relaxing a minimum lowers it; relaxing a maximum (rmse, log_loss) raises it.
            relax = "lower" if primary.greater_is_better else "raise"
            return decision, (
                f"challenger version {challenger.version} is not promoted and there is no "
                f"champion yet; improve the model, or {relax} gate.worst_acceptable in "
                f"params.yaml if {primary.name} is good enough for a first version, or "
                f"promote it by hand: make promote VERSION={challenger.version} REASON=..."
            )
        return decision, (
            f"challenger version {challenger.version} is not promoted; "
            f"champion stays version {champion.version}"
        )
    registry.promote(client, name, challenger.version, reason="; ".join(decision.reasons))
    replaced = f", replacing version {champion.version}" if champion else ""
    return decision, f"version {challenger.version} is now the champion{replaced}"
