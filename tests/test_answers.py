"""Odd answers either are refused (tests/test_hooks.py) or bake a project whose every file parses;
an answer cookiecutter renders as Jinja cannot run code."""

import ast
import json
import re
import subprocess
import tomllib
from pathlib import Path

import jinja2
import pytest
import yaml

from tests.baking import bake_into, read_yaml
from tests.commands import require_tool
from tests.test_hooks import bake_cli, pre_gen

# One word longer than a slug may be, then quotes, a backslash, an apostrophe and letters
# from other languages: a title of 300 characters. (Typographic quotes are the point: RUF001.)
TITLE = ("Windpowerforecaster" * 3 + ' "Ørsted" C:\\models O\'Brien’s ✓ ') * 4  # noqa: RUF001
ODD_BUT_WELCOME = {
    "project_name": TITLE[:300],
    "description": "Prédit l'énergie du vent — the team’s “forecast” ✓ 🚀",  # noqa: RUF001
    "author_name": "Zoë O'Brien",
    "author_email": "zoe@example.com",
    # Starts with a digit, has a dot, and is no number.
    "model_name": "2024-churn.v2",
}
PARSERS = {
    ".toml": lambda text: tomllib.loads(text),
    ".yaml": lambda text: list(yaml.safe_load_all(text)),
    ".yml": lambda text: list(yaml.safe_load_all(text)),
    ".json": lambda text: json.loads(text),
    ".py": lambda text: ast.parse(text),
}
# The longest name Kubernetes takes for a namespace, a Service or a label's value (a DNS label).
DNS_LABEL_LENGTH = 63


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return bake_into(tmp_path_factory.mktemp("answers"), **ODD_BUT_WELCOME)


def test_every_generated_file_parses(project):
    files = [
        path
        for path in project.rglob("*")
        if path.suffix in PARSERS and ".git" not in path.relative_to(project).parts
    ]
    assert len(files) > 50
    for path in files:
        try:
            PARSERS[path.suffix](path.read_text())
        except Exception as error:
            pytest.fail(f"{path.relative_to(project)} does not parse: {error}")


def test_a_long_title_gives_the_longest_slug_allowed(project):
    assert project.name == ODD_BUT_WELCOME["project_name"].lower()[: pre_gen.MAX_SLUG_LENGTH]


def test_the_answers_read_back_as_given(project):
    mlflow = read_yaml(project, "params.yaml")["mlflow"]
    assert mlflow == {"experiment": project.name, "model_name": ODD_BUT_WELCOME["model_name"]}
    metadata = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    assert metadata["description"] == ODD_BUT_WELCOME["description"]
    assert metadata["authors"] == [
        {"name": ODD_BUT_WELCOME["author_name"], "email": ODD_BUT_WELCOME["author_email"]}
    ]


def strings(node: object):
    """Every string value in a parsed document."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from strings(value)


@pytest.mark.parametrize("environment", ["staging", "production"])
def test_the_longest_slug_fits_every_kubernetes_name(project, environment):
    require_tool("kubectl", "its built-in kustomize renders the Kubernetes overlays")
    overlay = project / "deploy/kubernetes/overlays" / environment
    rendered = subprocess.run(
        ["kubectl", "kustomize", str(overlay)], capture_output=True, text=True, check=True
    ).stdout
    # A name made from the slug: the part of a string (a name, a label's value, a host, an
    # image) between dots, slashes, colons or spaces that contains it.
    names = {
        part
        for text in strings(list(yaml.safe_load_all(rendered)))
        for part in re.split(r"[./:\s]+", text)
        if project.name in part
    }
    too_long = {name for name in names if len(name) > DNS_LABEL_LENGTH}
    assert too_long == set(), f"longer than {DNS_LABEL_LENGTH} characters: {too_long}"
    if environment == "production":
        # The slug's limit is as long as the longest name allows, not shorter.
        assert max(map(len, names)) == DNS_LABEL_LENGTH


def test_an_answer_cannot_run_code_when_cookiecutter_renders_it(tmp_path):
    created = tmp_path / "created-by-the-answer"
    payload = f"{{{{ cycler.__init__.__globals__.os.mkdir({str(created)!r}) }}}}"
    # Jinja's default environment runs it: the payload is real.
    jinja2.Environment().from_string(payload).render()
    assert created.is_dir()
    created.rmdir()
    output = tmp_path / "output"
    result = bake_cli(output, description=payload)
    assert result.returncode != 0
    assert "Unable to render variable 'description'" in result.stdout
    assert "access to attribute '__init__' of 'type' object is unsafe" in result.stdout
    assert not created.exists()
    assert not output.exists()
