"""Bake the template: where it lives, its defaults, and a function to generate a project."""

import json
from collections.abc import Callable
from pathlib import Path

import yaml
from cookiecutter.main import cookiecutter

TEMPLATE_ROOT = Path(__file__).resolve().parents[1]
TEMPLATE_PROJECT = TEMPLATE_ROOT / "{{cookiecutter.project_slug}}"
DEFAULTS = json.loads((TEMPLATE_ROOT / "cookiecutter.json").read_text())

Bake = Callable[..., Path]


def bake_into(output_dir: Path, **answers: str) -> Path:
    """Generate a project with these answers (defaults for the rest); return its path."""
    return Path(
        cookiecutter(
            str(TEMPLATE_ROOT), no_input=True, extra_context=answers, output_dir=str(output_dir)
        )
    )


def set_param(project: Path, section: str, key: str, value: object) -> None:
    """Change one value in a baked project's params.yaml, as a person editing it would."""
    params_file = project / "params.yaml"
    params = yaml.safe_load(params_file.read_text())
    params[section][key] = value
    params_file.write_text(yaml.safe_dump(params, sort_keys=False))
