"""The model registry: registering, judging, promoting and tracing versions, their cards, the
pull-request report of all that, and the MLflow UI to browse it."""

import argparse
import json
import os
import sys
from typing import TYPE_CHECKING

from {{ cookiecutter.package_name }}.cli.commands import Commands, argument
from {{ cookiecutter.package_name }}.core.config import Params, load_params

if TYPE_CHECKING:
    from mlflow import MlflowClient

REFERENCE = argument("reference", nargs="?", default="champion", help="alias, version or URI")

commands = Commands()


def registry_session() -> tuple[Params, "MlflowClient", str]:
    """Load the params and connect to the registry: what every registry command starts with."""
    from {{ cookiecutter.package_name }}.infra import tracking

    params = load_params()
    return params, tracking.connect(), params.mlflow.model_name


@commands.command("register", "register the model from the last `dvc repro` as challenger")
def register(args: argparse.Namespace) -> None:
    from {{ cookiecutter.package_name }}.registry import versions as registry

    registration = registry.register(load_params())
    version = registration.version
    if registration.created:
        print(f"registered {version.name} version {version.version} as {registry.CHALLENGER}")
    else:
        print(
            f"{version.name} version {version.version} already holds this model file; nothing to do"
        )


@commands.command(
    "gate",
    "compare challenger with champion; write reports/gate.{json,md}",
    argument("--version", help="version to judge (default: the challenger)"),
    argument("--fail-on-reject", action="store_true", help="exit 1 if the gate fails"),
)
def gate(args: argparse.Namespace) -> int:
    from {{ cookiecutter.package_name }}.registry import versions as registry
    from {{ cookiecutter.package_name }}.registry.gate import run_gate

    params, client, name = registry_session()
    challenger = registry.resolve(client, name, args.version or registry.CHALLENGER)
    champion = registry.version_by_alias(client, name, registry.CHAMPION)
    decision = run_gate(client, params, challenger, champion)
    print(decision.to_markdown())
    return 1 if args.fail_on_reject and not decision.passed else 0


@commands.command(
    "promote",
    "make the challenger champion if it passes the gate",
    argument("--version", help="promote this version by hand, without the gate"),
    argument("--reason", default="approved by hand", help="why (with --version)"),
    argument("--fail-on-reject", action="store_true", help="exit 1 if not promoted"),
)
def promote(args: argparse.Namespace) -> int:
    from {{ cookiecutter.package_name }}.registry import versions as registry
    from {{ cookiecutter.package_name }}.registry.gate import promote_if_better

    params, client, name = registry_session()
    if args.version:
        version = registry.resolve(client, name, args.version)
        replaced = registry.promote(client, name, version.version, reason=args.reason)
        was = f", replacing version {replaced.version}" if replaced else ""
        print(f"version {version.version} is now the champion{was} (by hand: {args.reason})")
        return 0
    decision, outcome = promote_if_better(client, params)
    if decision is not None:
        print(decision.to_markdown())
    print(outcome)
    return 1 if args.fail_on_reject and decision is not None and not decision.passed else 0


@commands.command("rollback", "move champion back to the version it replaced")
def rollback(args: argparse.Namespace) -> None:
    from {{ cookiecutter.package_name }}.registry import versions as registry

    _, client, name = registry_session()
    demoted, restored = registry.rollback(client, name)
    print(f"champion moved from version {demoted.version} back to version {restored.version}")


@commands.command(
    "lineage",
    "trace a model version back to its run, commit and data",
    REFERENCE,
    argument("--json", action="store_true", help="print the record as JSON"),
)
def lineage(args: argparse.Namespace) -> None:
    from {{ cookiecutter.package_name }}.registry import versions as registry

    _, client, name = registry_session()
    record = registry.lineage_record(client, registry.resolve(client, name, args.reference))
    print(json.dumps(record, indent=2) if args.json else registry.lineage_text(record))


@commands.command(
    "card", "write a version's model card; attach it to its run and version", REFERENCE
)
def card(args: argparse.Namespace) -> None:
    from {{ cookiecutter.package_name }}.registry import versions as registry
    from {{ cookiecutter.package_name }}.reporting.card.build import publish_card
    from {{ cookiecutter.package_name }}.reporting.card.files import ARTIFACT_DIR

    params, client, name = registry_session()
    version = registry.resolve(client, name, args.reference)
    written = publish_card(client, params, version)
    for warning in written.warnings:
        print(f"warning: {warning}")
    run = written.lineage["run_id"]
    attached = f"run {run} ({ARTIFACT_DIR}/) and " if run else ""
    print(
        f"model card of {name} version {version.version}: {params.paths.model_card} and "
        f"{params.paths.model_card_html}; attached to {attached}the version's description"
    )


@commands.command(
    "report",
    "write the pull-request report and post it from CI",
    argument("--base", default="main", help="branch to compare with"),
)
def report(args: argparse.Namespace) -> None:
    from {{ cookiecutter.package_name }}.reporting.ci import (
        build_report,
        not_posted_reason,
        post_report,
    )

    params = load_params()
    summaries = [params.paths.gate_summary, params.paths.model_card, params.paths.cost_summary]
    markdown = build_report(args.base, summaries)
    params.paths.ci_report.parent.mkdir(parents=True, exist_ok=True)
    params.paths.ci_report.write_text(markdown)
    print(markdown)
    posted = post_report(markdown, os.environ)
    print(f"report posted to {posted}" if posted else not_posted_reason(os.environ))


@commands.command(
    "ui",
    "browse the runs and the model registry in the MLflow UI",
    argument("--host", default="127.0.0.1", help="address to listen on"),
    argument("--port", type=int, default=5000, help="port (default: 5000)"),
)
def ui(args: argparse.Namespace) -> None:
    from {{ cookiecutter.package_name }}.core.config import tracking_uri
    from {{ cookiecutter.package_name }}.infra import tracking

    uri = tracking_uri()
    if uri.startswith(("http://", "https://")):
        print(f"runs and models are on the tracking server: open {tracking.redacted(uri)}")
        return
    # One clear line when the store does not exist yet, rather than an empty UI.
    tracking.connect()
    address = f"http://{args.host}:{args.port}"
    print(f"MLflow UI of {tracking.redacted(uri)} at {address} (Ctrl-C stops it)", flush=True)
    ui_command = ["mlflow", "ui", "--backend-store-uri", uri, "--host", args.host]
    # MLflow's own server in this process's place, so that Ctrl-C reaches it.
    os.execv(sys.executable, [sys.executable, "-m", *ui_command, "--port", str(args.port)])  # nosec B606
