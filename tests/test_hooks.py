"""Bad answers are refused with a message naming the field, and nothing is left behind."""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.baking import DEFAULTS, TEMPLATE_ROOT


def load_hook(name: str):
    spec = importlib.util.spec_from_file_location(name, TEMPLATE_ROOT / "hooks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


pre_gen = load_hook("pre_gen_project")


def bake_cli(output_dir: Path, env: dict[str, str] | None = None, **answers: str):
    """Run the cookiecutter command as a person would, with answers on the command line."""
    return subprocess.run(
        [
            sys.executable, "-m", "cookiecutter", "--no-input", "--output-dir", str(output_dir),
            str(TEMPLATE_ROOT), *(f"{key}={value}" for key, value in answers.items()),
        ],
        capture_output=True,
        text=True,
        env=env,
    )  # fmt: skip


INVALID_ANSWERS = {
    "package-not-identifier": ({"package_name": "my-model"}, "package_name: 'my-model' is not a"),
    "package-keyword": ({"package_name": "class"}, "package_name: 'class' is a Python keyword"),
    "package-shadows-mlflow": ({"package_name": "mlflow"}, "package_name: 'mlflow' would shadow"),
    "package-shadows-sklearn": ({"package_name": "sklearn"}, "package_name: 'sklearn' would"),
    "package-shadows-stdlib": ({"package_name": "json"}, "package_name: 'json' would shadow"),
    "python-unsupported": ({"python_version": "3.10"}, "python_version: '3.10' is not supported"),
    "empty-name": ({"project_name": " "}, "project_name: must not be empty"),
    "slug-with-space": ({"project_slug": "my project"}, "project_slug: 'my project' must start"),
    "model-name-spaces": ({"model_name": "my model"}, "model_name: 'my model' must start"),
    "bad-email": ({"author_email": "nobody"}, "author_email: 'nobody' is not an email address"),
}  # fmt: skip


@pytest.mark.parametrize(
    ("answers", "message"), INVALID_ANSWERS.values(), ids=INVALID_ANSWERS.keys()
)
def test_an_invalid_answer_is_refused_and_nothing_is_written(tmp_path, answers, message):
    result = bake_cli(tmp_path, **answers)
    assert result.returncode != 0
    assert f"error: {message}" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_an_unknown_ci_provider_is_refused_by_its_choice_list(tmp_path):
    result = bake_cli(tmp_path, ci_provider="jenkins")
    assert result.returncode != 0
    assert "jenkins provided for choice variable ci_provider" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_missing_git_is_named(tmp_path):
    # Only this interpreter's directory on PATH: cookiecutter and dvc, but no git.
    env = {**os.environ, "PATH": str(Path(sys.executable).parent)}
    result = bake_cli(tmp_path, env=env)
    assert result.returncode != 0
    assert "error: git: not found on PATH" in result.stderr
    assert list(tmp_path.iterdir()) == []


def answers(**changes: str) -> dict[str, str]:
    defaults = {
        key: value[0] if isinstance(value, list) else value for key, value in DEFAULTS.items()
    }
    defaults.update(project_slug="my-ml-project", package_name="my_ml_project", model_name="m")
    return {**defaults, **changes}


def test_the_default_answers_are_valid():
    assert pre_gen.validate_answers(answers()) == []


def test_every_problem_is_reported_at_once():
    problems = pre_gen.validate_answers(answers(package_name="import", python_version="2.7"))
    assert [problem.split(":")[0] for problem in problems] == ["package_name", "python_version"]


@pytest.mark.parametrize("package", ["pandas", "dvc", "yaml", "pandera", "fastapi", "tests"])
def test_dependencies_cannot_be_shadowed(package):
    assert "would shadow" in pre_gen.validate_answers(answers(package_name=package))[0]
