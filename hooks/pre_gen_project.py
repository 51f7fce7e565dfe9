"""Reject bad answers before cookiecutter writes the project's files.

Each rule follows from where the answer lands: names go unquoted into YAML (params.yaml, the
Kubernetes manifests, CI files) and into Kubernetes names; the description and the author go
into pyproject.toml's strings; every answer goes into Markdown or code as one line. The checks
are plain functions so the template's tests can import and call them.

What this hook cannot do, because cookiecutter acts before it runs: it renders answers given on
its command line or in `extra_context` as Jinja templates (local_extensions.py keeps that
rendering in Jinja's sandbox), and it creates the project's directory, so a slug too long to be
a file name fails there, with cookiecutter's own error.
"""

import json
import keyword
import re
import sys
import unicodedata

# cookiecutter's own dependency, so nothing more is needed to generate a project.
import yaml

SUPPORTED_PYTHON_VERSIONS = ("3.11", "3.12", "3.13")
# The importable names of the generated project's dependencies, of every group, as its
# pyproject.toml lists them (a template test holds the two equal).
DEPENDENCY_MODULES = frozenset(
    {
        "alembic", "boto3", "dask", "distributed", "dvc", "dvc_s3", "fastapi", "filelock",
        "flask", "flask_cors", "graphene", "huey", "matplotlib", "mlflow", "numpy", "pandas",
        "pandera", "prometheus_client", "psycopg", "pydantic", "yaml", "ruamel", "sklearn",
        "scipy", "skops", "sqlalchemy", "uvicorn", "ruff", "httpx", "moto", "pytest",
        "pytest_randomly", "xdist", "nox", "mutmut",
    }
)  # fmt: skip
# A package of one of these names would shadow the module the project imports: its
# dependencies, starlette (which the service imports through fastapi), the standard library,
# and the project's own top-level directories.
RESERVED_PACKAGE_NAMES = (
    DEPENDENCY_MODULES | {"starlette", "src", "tests"} | sys.stdlib_module_names
)
SLUG_PATTERN = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
# Kubernetes names made from the slug are DNS labels, at most 63 characters; the longest is the
# production namespace, `<slug>-production`. tests/test_answers.py renders the manifests with
# the longest slug allowed to hold this number to them. cookiecutter.json truncates the slug it
# derives from the project's name to the same length.
MAX_SLUG_LENGTH = 63 - len("-production")
# The project's code keeps to ruff's 100 columns with its package's name written out in imports;
# tests/test_bake.py bakes a package of this length and runs ruff. cookiecutter.json truncates
# the package name it derives from the slug to the same length.
MAX_PACKAGE_LENGTH = 32
MODEL_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
# The MLflow registry's column for a model's name.
MAX_MODEL_NAME_LENGTH = 256
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+$")
# The answers written inside double-quoted strings of pyproject.toml.
TOML_STRINGS = ("description", "author_name", "author_email")
TOML_ESCAPED = ('"', "\\")
# Control characters, and the line and paragraph separators that YAML and Python also read as
# line breaks: every answer is one line.
LINE_BREAKING_CATEGORIES = ("Cc", "Zl", "Zp")
# What starts a Jinja expression, statement or comment: the answers are stored in .cruft.json,
# and `cruft update` renders them as templates again. Spelled in two pieces, since cookiecutter
# renders this file as a template too.
JINJA_DELIMITERS = tuple("{" + second for second in "%#{")
# YAML 1.1 booleans that PyYAML reads as text but other YAML 1.1 readers do not.
YAML_11_BOOLEAN_LETTERS = ("y", "n")
YAML_KINDS = {bool: "a boolean", type(None): "null", int: "a number", float: "a number"}


def yaml_reading(name: str) -> str | None:
    """What YAML takes this name for when it is written unquoted, unless it is text.

    PyYAML reads each spelling of it (YAML 1.1 knows `yes`, `Yes` and `YES` but not `yEs`);
    Python's float() catches the numbers YAML 1.2 adds, such as `1e3`.
    """
    if name.lower() in YAML_11_BOOLEAN_LETTERS:
        return "a boolean"
    for spelling in (name, name.lower(), name.upper(), name.capitalize()):
        value = yaml.safe_load(spelling)
        if not isinstance(value, str):
            return YAML_KINDS.get(type(value), f"a {type(value).__name__}")
    try:
        float(name)
    except ValueError:
        return None
    return "a number"


def yaml_problems(name: str) -> list[str]:
    reading = yaml_reading(name)
    if reading is None:
        return []
    return [
        f"{name!r} is {reading} to YAML, where the project writes it unquoted; choose a name "
        "that is not a YAML keyword or a number"
    ]


def text_problems(answer: str) -> list[str]:
    """What every answer must be: one line, without Jinja's delimiters."""
    problems = []
    breaking = sorted({c for c in answer if unicodedata.category(c) in LINE_BREAKING_CATEGORIES})
    if breaking:
        problems.append(
            f"{answer!r} contains the control character(s) {', '.join(map(repr, breaking))}; "
            "answers are one line of text"
        )
    delimiters = [delimiter for delimiter in JINJA_DELIMITERS if delimiter in answer]
    if delimiters:
        problems.append(
            f"{answer!r} contains {' and '.join(delimiters)}, which Jinja would evaluate when "
            "the template is rendered again (cruft update); leave them out"
        )
    return problems


def toml_string_problems(answer: str) -> list[str]:
    escaped = [character for character in TOML_ESCAPED if character in answer]
    if not escaped:
        return []
    return [
        f"{answer!r} contains {' and '.join(map(repr, escaped))}, which would end or escape "
        "its string in pyproject.toml; leave them out (apostrophes are fine)"
    ]


def project_name_problems(name: str) -> list[str]:
    return [] if name.strip() else ["must not be empty"]


def slug_problems(slug: str) -> list[str]:
    if not SLUG_PATTERN.match(slug):
        return [
            f"{slug!r} must start with a letter and use only lowercase letters, digits and "
            "single dashes"
        ]
    if len(slug) > MAX_SLUG_LENGTH:
        return [
            f"{slug!r} has {len(slug)} characters; at most {MAX_SLUG_LENGTH} fit in the "
            "Kubernetes names made from it, such as '<slug>-production' (63 at most)"
        ]
    return yaml_problems(slug)


def package_problems(package: str) -> list[str]:
    if not package.isidentifier() or not package.isascii():
        return [f"{package!r} is not a Python identifier"]
    if keyword.iskeyword(package) or keyword.issoftkeyword(package):
        return [f"{package!r} is a Python keyword"]
    if package in RESERVED_PACKAGE_NAMES:
        return [
            f"{package!r} would shadow the module of the same name that the project depends "
            "on; choose another name"
        ]
    if package != package.lower():
        return [f"{package!r} must be lowercase (PEP 8)"]
    if len(package) > MAX_PACKAGE_LENGTH:
        return [
            f"has {len(package)} characters; at most {MAX_PACKAGE_LENGTH} keep the project's "
            "imports within its 100 columns"
        ]
    return yaml_problems(package)


def python_version_problems(version: str) -> list[str]:
    if version in SUPPORTED_PYTHON_VERSIONS:
        return []
    return [f"{version!r} is not supported; choose one of {', '.join(SUPPORTED_PYTHON_VERSIONS)}"]


def model_name_problems(name: str) -> list[str]:
    if not MODEL_NAME_PATTERN.match(name):
        return [
            f"{name!r} must start with a letter or digit and use only letters, digits, '.', "
            "'_' and '-'"
        ]
    if len(name) > MAX_MODEL_NAME_LENGTH:
        return [
            f"has {len(name)} characters; the MLflow registry keeps {MAX_MODEL_NAME_LENGTH} at most"
        ]
    return yaml_problems(name)


def author_name_problems(name: str) -> list[str]:
    return [] if name.strip() else ["must not be empty"]


def email_problems(email: str) -> list[str]:
    return [] if EMAIL_PATTERN.match(email) else [f"{email!r} is not an email address"]


FIELD_RULES = {
    "project_name": project_name_problems,
    "project_slug": slug_problems,
    "package_name": package_problems,
    "python_version": python_version_problems,
    "model_name": model_name_problems,
    "author_name": author_name_problems,
    "author_email": email_problems,
}


def answer_problems(field: str, answer: object) -> list[str]:
    if not isinstance(answer, str):
        return [f"must be text, not {type(answer).__name__}"]
    problems = text_problems(answer)
    if field in TOML_STRINGS:
        problems += toml_string_problems(answer)
    if field in FIELD_RULES:
        problems += FIELD_RULES[field](answer)
    return problems


def validate_answers(answers: dict[str, object]) -> list[str]:
    """Return one message per problem, naming the field and the rule it breaks.

    cookiecutter's private entries (a leading underscore) are its own, not answers.
    """
    return [
        f"{field}: {problem}"
        for field, answer in answers.items()
        if not field.startswith("_")
        for problem in answer_problems(field, answer)
    ]


def main(answers: dict[str, object]) -> int:
    problems = validate_answers(answers)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(json.loads(r"""{{ cookiecutter | jsonify }}""")))
