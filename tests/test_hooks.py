"""Bad answers are refused with a message naming the field, and nothing is left behind; the
template is recorded for cruft, whose own renders are told apart from a new project."""

import os
import re
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

import pytest

from tests.baking import DEFAULTS, TEMPLATE_PROJECT, TEMPLATE_ROOT, load_hook
from tests.commands import git

pre_gen = load_hook("pre_gen_project")
post_gen = load_hook("post_gen_project")


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


LONGEST_SLUG = "a" * pre_gen.MAX_SLUG_LENGTH
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
    # Answers that used to bake a project that does not parse or load.
    "description-quote": ({"description": 'A "quoted" word'}, "description: 'A \"quoted\" word' "
                          "contains '\"', which would end or escape its string in pyproject.toml"),
    "author-backslash": ({"author_name": "Dom\\Ann"}, "author_name: 'Dom\\\\Ann' contains '\\\\'"),
    "email-quote": ({"author_email": 'a"b@x.org'}, "author_email: 'a\"b@x.org' contains '\"'"),
    "description-newline": ({"description": "two\nlines"}, "description: 'two\\nlines' contains "
                            "the control character(s) '\\n'; answers are one line of text"),
    "name-tab": ({"project_name": "a\tb"}, "project_name: 'a\\tb' contains the control"),
    "slug-yaml-boolean": ({"project_slug": "yes"}, "project_slug: 'yes' is a boolean to YAML"),
    "slug-yaml-null": ({"project_slug": "null"}, "project_slug: 'null' is null to YAML"),
    "package-yaml-boolean": ({"package_name": "true"}, "package_name: 'true' is a boolean to YAML"),
    "model-yaml-boolean": ({"model_name": "Off"}, "model_name: 'Off' is a boolean to YAML"),
    "model-number": ({"model_name": "123"}, "model_name: '123' is a number to YAML"),
    "slug-too-long": ({"project_slug": LONGEST_SLUG + "a"}, f"project_slug: '{LONGEST_SLUG}a' has "
                      f"{len(LONGEST_SLUG) + 1} characters; at most {len(LONGEST_SLUG)} fit"),
    # Rendered by cookiecutter to `{{ 7 * 7 }}`, which `cruft update` would render again.
    "jinja-left-after-rendering": ({"description": "{% raw %}{{ 7 * 7 }}{% endraw %}"},
                                   "description: '{{ 7 * 7 }}' contains {{, which Jinja would"),
}  # fmt: skip


@pytest.mark.parametrize(
    ("answers", "message"), INVALID_ANSWERS.values(), ids=INVALID_ANSWERS.keys()
)
def test_an_invalid_answer_is_refused_and_nothing_is_written(tmp_path, answers, message):
    result = bake_cli(tmp_path, **answers)
    assert result.returncode != 0
    assert f"error: {message}" in result.stderr
    assert list(tmp_path.iterdir()) == []


# cookiecutter's own entries (a leading underscore) are not asked.
CHOICES = [
    name for name, value in DEFAULTS.items() if isinstance(value, list) and not name.startswith("_")
]


@pytest.mark.parametrize("variable", CHOICES)
def test_an_answer_outside_a_choice_list_is_refused(tmp_path, variable):
    result = bake_cli(tmp_path, **{variable: "unknown"})
    assert result.returncode != 0
    assert f"unknown provided for choice variable {variable}" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_missing_git_is_named(tmp_path):
    # Only this interpreter's directory on PATH: cookiecutter, but no git.
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


@pytest.mark.parametrize(
    "package", ["pandas", "dvc", "yaml", "pandera", "fastapi", "tests", "matplotlib", "boto3"]
)
def test_dependencies_cannot_be_shadowed(package):
    assert "would shadow" in pre_gen.validate_answers(answers(package_name=package))[0]


# The dependencies whose module is not named after their distribution.
MODULE_OF_DISTRIBUTION = {
    "mlflow-skinny": "mlflow",
    "scikit-learn": "sklearn",
    "pyyaml": "yaml",
    "ruamel.yaml": "ruamel",
    "pytest-xdist": "xdist",
}


def test_the_reserved_package_names_are_the_generated_projects_dependencies():
    # The template's pyproject.toml is TOML as it stands: its placeholders are inside strings.
    pyproject = tomllib.loads((TEMPLATE_PROJECT / "pyproject.toml").read_text())
    groups = pyproject["dependency-groups"].values()
    requirements = [
        *pyproject["project"]["dependencies"],
        *(requirement for group in groups for requirement in group if isinstance(requirement, str)),
    ]
    distributions = {re.match(r"[\w.-]+", requirement)[0].lower() for requirement in requirements}
    modules = {MODULE_OF_DISTRIBUTION.get(name, name.replace("-", "_")) for name in distributions}
    assert modules == pre_gen.DEPENDENCY_MODULES


@pytest.mark.parametrize(
    "name", ["yes", "No", "ON", "off", "TRUE", "False", "null", "NULL", "~", "y", "N", "123",
             "1.5", "1e3", "0x1f", "1_000", "2024-01-31"],
)  # fmt: skip
def test_names_yaml_reads_as_something_else_are_found(name):
    assert pre_gen.yaml_reading(name) is not None


@pytest.mark.parametrize("name", ["my-model", "v1.0-model", "yesterday", "nully", "2024-churn"])
def test_names_yaml_reads_as_text_are_not(name):
    assert pre_gen.yaml_reading(name) is None


@pytest.mark.parametrize("field", [name for name in DEFAULTS if not name.startswith("_")])
def test_every_answer_is_one_line_without_jinja(field):
    problems = pre_gen.validate_answers(answers(**{field: "one\u2028{# two #}"}))
    assert f"{field}: 'one\\u2028{{# two #}}' contains the control character(s)" in problems[0]
    assert f"{field}: 'one\\u2028{{# two #}}' contains {{#, which Jinja" in problems[1]


def test_an_answer_that_is_not_text_is_refused():
    # cookiecutter's Python API passes extra_context values through as they are.
    assert pre_gen.validate_answers(answers(model_name=123)) == [
        "model_name: must be text, not int"
    ]


def test_an_apostrophe_and_any_language_are_welcome():
    welcome = answers(
        project_name='The "Ørsted" forecaster, C:\\models',
        description="Prédit l'énergie du vent ✓",
        author_name="Zoë O'Brien",
        author_email="zoë@exämple.com",
    )
    assert pre_gen.validate_answers(welcome) == []


def test_long_names_are_refused_where_they_would_not_fit():
    problems = pre_gen.validate_answers(
        answers(package_name="p" * (pre_gen.MAX_PACKAGE_LENGTH + 1),
                model_name="m" * (pre_gen.MAX_MODEL_NAME_LENGTH + 1))
    )  # fmt: skip
    assert problems == [
        f"package_name: has {pre_gen.MAX_PACKAGE_LENGTH + 1} characters; at most "
        f"{pre_gen.MAX_PACKAGE_LENGTH} keep the project's imports within its 100 columns",
        f"model_name: has {pre_gen.MAX_MODEL_NAME_LENGTH + 1} characters; the MLflow registry "
        f"keeps {pre_gen.MAX_MODEL_NAME_LENGTH} at most",
    ]


def test_only_the_sample_that_params_names_is_kept(tmp_path):
    samples = tmp_path / "data" / "raw"
    samples.mkdir(parents=True)
    for name in ("first.csv", "chosen.csv", "last.csv"):
        (samples / name).write_text("x,y\n1,2\n")
    (tmp_path / "params.yaml").write_text("paths:\n  raw_data: data/raw/chosen.csv\n")
    post_gen.remove_other_samples(tmp_path)
    assert [path.name for path in samples.iterdir()] == ["chosen.csv"]


# What each route passes to the hooks besides the answers.
COOKIECUTTER_CONTEXT = {"_template": "gh:owner/template", "_output_dir": "/somewhere"}
CRUFT_CONTEXT = {"_template": "https://github.com/owner/template.git", "_commit": "0" * 40}


def test_a_cruft_comparison_render_skips_the_repository_set_up():
    # cruft update and cruft diff render into directories made exactly like this one.
    with tempfile.TemporaryDirectory() as scratch:
        project = Path(scratch) / "my-ml-project"
        assert post_gen.rendered_for_comparison(CRUFT_CONTEXT, project)
        assert not post_gen.rendered_for_comparison(COOKIECUTTER_CONTEXT, project)


def test_cruft_create_sets_up_the_repository(tmp_path):
    assert not post_gen.rendered_for_comparison(CRUFT_CONTEXT, tmp_path / "my-ml-project")


HEAD = git(TEMPLATE_ROOT, "rev-parse", "HEAD").strip()


def origin(template: str, repo_dir: Path | str | None = None) -> tuple[str, str] | None:
    return post_gen.template_origin({"_template": template, "_repo_dir": str(repo_dir or template)})


def test_a_local_template_is_recorded_by_its_absolute_path_and_commit(monkeypatch):
    assert origin(str(TEMPLATE_ROOT)) == (str(TEMPLATE_ROOT), HEAD)
    monkeypatch.setenv("PWD", str(TEMPLATE_ROOT.parent))
    assert origin(TEMPLATE_ROOT.name) == (str(TEMPLATE_ROOT), HEAD)


def test_an_abbreviated_template_is_recorded_by_its_url():
    # cookiecutter clones a remote template; the hook reads the commit from that clone.
    assert origin("gh:owner/template", TEMPLATE_ROOT) == (
        "https://github.com/owner/template.git",
        HEAD,
    )


def test_a_git_url_is_recorded_as_git_reads_it():
    assert origin("git+file:///templates/mlops", TEMPLATE_ROOT) == ("file:///templates/mlops", HEAD)


def test_a_template_outside_git_is_not_recorded(tmp_path):
    assert origin(str(tmp_path)) is None
    assert origin(str(TEMPLATE_ROOT / "hooks")) is None


def test_cruft_create_answers_are_recorded_as_given():
    assert post_gen.template_origin(CRUFT_CONTEXT) == (
        CRUFT_CONTEXT["_template"],
        CRUFT_CONTEXT["_commit"],
    )
