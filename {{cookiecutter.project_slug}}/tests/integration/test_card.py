"""The model card in a real registry: built by the CLI for versions the pipeline registered and
the gate judged, attached to their runs and versions, exported with the model and served."""

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from mlflow import MlflowClient

from {{ cookiecutter.package_name }}.core.config import load_params
from {{ cookiecutter.package_name }}.registry.gate import DECISION_TAG
from {{ cookiecutter.package_name }}.reporting.card.files import (
    ARTIFACT_DIR,
    HTML_FILE,
    MARKDOWN_FILE,
)

from tests.integration.http_server import serving
from tests.integration.project_copy import Runner, cli, runner, set_param

PARAMS = load_params()
MODEL_NAME = PARAMS.mlflow.model_name


@dataclass(frozen=True)
class Registry:
    project: Path
    client: MlflowClient
    # Version 2, exported before it had a card.
    uncarded_export: Path


@pytest.fixture(scope="module")
def registry(project, run, tmp_path_factory) -> Registry:
    """Champion version 1, which the gate passed with no champion, and challenger version 2,
    which the gate judged against it."""
    # Fewer resamples than a card usually draws: each card here takes seconds, not tens.
    set_param(project, "card", "bootstrap_samples", 200)
    run("dvc", "repro")
    cli(run, "register")
    cli(run, "promote")
    set_param(project, "train", "C", 0.05)
    run("dvc", "repro")
    assert "version 2 as challenger" in cli(run, "register").stdout
    cli(run, "gate")
    export = tmp_path_factory.mktemp("uncarded") / "export"
    exported = cli(run, "export", "--model", "2", "--output", str(export)).stdout
    assert "without a model card (`make card MODEL=2` attaches one)" in exported
    return Registry(project, MlflowClient(f"sqlite:///{project / 'mlflow.db'}"), export)


def attached(client: MlflowClient, version: str, destination: Path) -> tuple[str, str]:
    """The card's Markdown and page as the version's run holds them."""
    run_id = client.get_model_version(MODEL_NAME, version).run_id
    folder = Path(client.download_artifacts(run_id, ARTIFACT_DIR, str(destination)))
    return (folder / MARKDOWN_FILE).read_text(), (folder / HTML_FILE).read_text()


def test_the_challengers_card_holds_its_metrics_and_the_gates_verdict(registry, run, tmp_path):
    project, client = registry.project, registry.client
    printed = cli(run, "card", "challenger").stdout
    assert printed.startswith(
        f"model card of {MODEL_NAME} version 2: {PARAMS.paths.model_card} and "
        f"{PARAMS.paths.model_card_html}; attached to run "
    )
    assert "warning" not in printed
    markdown = (project / PARAMS.paths.model_card).read_text()
    page = (project / PARAMS.paths.model_card_html).read_text()
    assert markdown.startswith(f"### Model card: {MODEL_NAME} version 2\n")
    # The numbers are the evaluate stage's, on the same test split.
    for name, value in json.loads((project / PARAMS.paths.metrics).read_text()).items():
        assert f"| {name} | {value:.4f} | " in markdown, name
    decision = json.loads((project / PARAMS.paths.gate_decision).read_text())
    verdict = "Passed" if decision["passed"] else "Did not pass"
    assert f"{verdict} against champion version 1" in markdown
    for reason in decision["reasons"]:
        assert f"- {reason}" in markdown

    version = client.get_model_version(MODEL_NAME, "2")
    assert json.loads(version.tags[DECISION_TAG]) == decision
    assert version.description == markdown
    assert attached(client, "2", tmp_path) == (markdown, page)
    commit = run("git", "rev-parse", "HEAD").stdout.strip()
    assert f"| commit | {commit} on " in markdown
    assert f"| run | {version.run_id} |" in markdown


def test_the_champions_card_is_the_default_and_is_served_with_its_export(registry, run, tmp_path):
    cli(run, "card")
    markdown = (registry.project / PARAMS.paths.model_card).read_text()
    assert markdown.startswith(f"### Model card: {MODEL_NAME} version 1\n")
    assert "aliases: champion." in markdown
    assert "Passed with no champion to beat" in markdown
    assert "- Warning" not in markdown
    assert registry.client.get_model_version(MODEL_NAME, "1").description == markdown
    page = attached(registry.client, "1", tmp_path)[1]

    export = tmp_path / "export"
    assert "with its model card" in cli(run, "export", "--output", str(export)).stdout
    with serving(offline(registry.project, export, tmp_path)) as client:
        shown, source = client.get("/model/card"), client.get("/model/card.md")
    assert (shown.status_code, shown.headers["X-Model-Version"]) == (200, "1")
    assert shown.headers["content-type"] == "text/html; charset=utf-8"
    assert (shown.text, source.text) == (page, markdown)

    with serving(offline(registry.project, registry.uncarded_export, tmp_path)) as client:
        missing = client.get("/model/card")
    assert missing.status_code == 404
    assert missing.json()["detail"].startswith("model version 2 is served without a model card")


def offline(project: Path, export: Path, tmp_path: Path) -> Runner:
    """`serve` of an export, with no tracking server to reach."""
    return runner(
        project,
        {
            "SERVING_MODEL": str(export),
            "SERVING_PREDICTION_LOG": str(tmp_path / "predictions.jsonl"),
            "MLFLOW_TRACKING_URI": "http://127.0.0.1:9",
        },
    )


def test_the_card_of_a_version_trained_on_other_data_says_so(registry, run):
    set_param(registry.project, "split", "seed", PARAMS.split.seed + 1)
    run("dvc", "repro", "prepare")
    try:
        printed = cli(run, "card", "1").stdout
    finally:
        set_param(registry.project, "split", "seed", PARAMS.split.seed)
        run("dvc", "repro", "prepare")
    assert printed.startswith("warning: version 1 was trained on training data of md5 ")
    markdown = (registry.project / PARAMS.paths.model_card).read_text()
    assert "- Warning: version 1 was trained on training data of md5" in markdown
