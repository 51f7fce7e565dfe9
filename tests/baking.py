"""Bake the template: where it lives, its defaults, and a function to generate a project."""

import importlib.metadata
import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import yaml

from tests.processes import project_environment

TEMPLATE_ROOT = Path(__file__).resolve().parents[1]
TEMPLATE_PROJECT = TEMPLATE_ROOT / "{{cookiecutter.project_slug}}"
DEFAULTS = json.loads((TEMPLATE_ROOT / "cookiecutter.json").read_text())
# The learning tasks a project can be generated for, as the template offers them.
TASKS: list[str] = DEFAULTS["task"]

Bake = Callable[..., Path]


def bake_into(output_dir: Path, **answers: str) -> Path:
    """Generate a project with these answers (defaults for the rest); return its path."""
    # Imported here: the benchmarks also import this module from a baked project's environment,
    # which has no cookiecutter.
    from cookiecutter.main import cookiecutter

    return Path(
        cookiecutter(
            str(TEMPLATE_ROOT), no_input=True, extra_context=answers, output_dir=str(output_dir)
        )
    )


def bake_with_cookiecutter_alone(output_dir: Path, **answers: str) -> Path:
    """Generate a project as a person does: with the `cookiecutter` command of an environment that
    has nothing else (no DVC), the answers on its command line; return the project's path."""
    # The version this suite's own lock pins, from uv's cache.
    tool = output_dir / ".cookiecutter"
    env = project_environment()
    for command in (
        ["uv", "venv", "--quiet", "--python", sys.executable, str(tool)],
        ["uv", "pip", "install", "--quiet", "--python", str(tool / "bin/python"),
         f"cookiecutter=={importlib.metadata.version('cookiecutter')}"],
    ):  # fmt: skip
        subprocess.run(command, check=True, env=env, capture_output=True)
    no_dvc = subprocess.run([tool / "bin/python", "-c", "import dvc"], env=env, capture_output=True)
    assert no_dvc.returncode != 0
    cookiecutter_command = [tool / "bin/cookiecutter", "--no-input", "--output-dir", output_dir]
    given = [f"{name}={value}" for name, value in answers.items()]
    result = subprocess.run(
        [*cookiecutter_command, TEMPLATE_ROOT, *given], env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (project,) = [path.parent for path in output_dir.glob("*/.cruft.json")]
    return project


def answer(answers: dict[str, str], name: str) -> str:
    """The answer given, or the template's default for it (the first of a choice)."""
    default = DEFAULTS[name]
    return answers.get(name, default[0] if isinstance(default, list) else default)


def package_of(project: Path) -> str:
    (init,) = (project / "src").glob("*/__init__.py")
    return init.parent.name


def read_yaml(project: Path, name: str) -> dict:
    return yaml.safe_load((project / name).read_text())


def set_param(project: Path, section: str, key: str, value: object) -> None:
    """Change one value in a baked project's params.yaml, as a person editing it would."""
    params = read_yaml(project, "params.yaml")
    params[section][key] = value
    (project / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))


# Each task's declared defaults and plots, by kind, as JSON; run with the package's name.
DECLARATIONS = """
import importlib, json, sys
tasks = importlib.import_module(f"{sys.argv[1]}.core.tasks").TASKS
declared = ("default_primary", "default_worst_acceptable", "default_secondary_drop", "plots")
json.dump(
    {kind: {name: getattr(task, name) for name in declared} for kind, task in tasks.items()},
    sys.stdout,
)
"""


def task_declarations(project: Path) -> dict[str, dict]:
    """What the baked package's tasks.py declares of each task, read by importing it.

    In a subprocess, because every baked project has its own package of the same name.
    """
    result = subprocess.run(
        [sys.executable, "-c", DECLARATIONS, package_of(project)],
        env={**os.environ, "PYTHONPATH": str(project / "src")},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


# dvc.yaml names each plot by its file under this directory.
PLOTS_DIRECTORY = "${paths.plots}/"


def task_settings(project: Path) -> dict:
    """The project's settings that follow its task, named as tasks.py declares their defaults:
    params.yaml's task, gate and search scoring, and dvc.yaml's plots by file name."""
    params = read_yaml(project, "params.yaml")
    plots = read_yaml(project, "dvc.yaml")["plots"]
    return {
        "kind": params["task"]["kind"],
        "default_primary": params["gate"]["primary_metric"],
        "default_worst_acceptable": params["gate"]["worst_acceptable"],
        "default_secondary_drop": params["gate"]["max_secondary_drop"],
        "tune_scoring": params["tune"]["scoring"],
        "plots": {
            name.removeprefix(PLOTS_DIRECTORY): settings
            for plot in plots
            for name, settings in plot.items()
        },
    }


def declared_task_settings(project: Path, task: str) -> dict:
    """What `task_settings` should be for a task: its declaration in the baked tasks.py."""
    declared = task_declarations(project)[task]
    return {"kind": task, **declared, "tune_scoring": declared["default_primary"]}


def load_hook(name: str):
    """A hook of the template as a module, so its checks can be called directly."""
    spec = importlib.util.spec_from_file_location(name, TEMPLATE_ROOT / "hooks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
