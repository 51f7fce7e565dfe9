"""Reject bad answers before cookiecutter writes anything.

The checks are plain functions so the template's tests can import and call them.
"""

import json
import keyword
import re
import sys

SUPPORTED_PYTHON_VERSIONS = ("3.11", "3.12", "3.13")
# Importable names of the generated project's dependencies and of the standard library's
# modules it uses, which a package of the same name would shadow.
RESERVED_PACKAGE_NAMES = frozenset(
    {
        "dvc", "mlflow", "sklearn", "scikit_learn", "pandas", "numpy", "scipy", "pandera",
        "pydantic", "yaml", "skops", "fastapi", "uvicorn", "starlette", "httpx", "nox", "pytest",
        "filelock", "prometheus_client", "test", "tests", "src",
        *sys.stdlib_module_names,
    }
)  # fmt: skip
SLUG_PATTERN = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
MODEL_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+$")


def validate_answers(answers: dict[str, str]) -> list[str]:
    """Return one message per invalid answer, naming the field and the rule it breaks."""
    problems = []
    if not answers["project_name"].strip():
        problems.append("project_name: must not be empty")
    slug = answers["project_slug"]
    if not SLUG_PATTERN.match(slug):
        problems.append(
            f"project_slug: {slug!r} must start with a letter and use only lowercase letters, "
            "digits and single dashes"
        )
    package = answers["package_name"]
    if not package.isidentifier() or not package.isascii():
        problems.append(f"package_name: {package!r} is not a Python identifier")
    elif keyword.iskeyword(package) or keyword.issoftkeyword(package):
        problems.append(f"package_name: {package!r} is a Python keyword")
    elif package in RESERVED_PACKAGE_NAMES:
        problems.append(
            f"package_name: {package!r} would shadow the module of the same name that the "
            "project depends on; choose another name"
        )
    elif package != package.lower():
        problems.append(f"package_name: {package!r} must be lowercase (PEP 8)")
    if answers["python_version"] not in SUPPORTED_PYTHON_VERSIONS:
        problems.append(
            f"python_version: {answers['python_version']!r} is not supported; "
            f"choose one of {', '.join(SUPPORTED_PYTHON_VERSIONS)}"
        )
    if not MODEL_NAME_PATTERN.match(answers["model_name"]):
        problems.append(
            f"model_name: {answers['model_name']!r} must start with a letter or digit and use "
            "only letters, digits, '.', '_' and '-'"
        )
    if not answers["author_name"].strip():
        problems.append("author_name: must not be empty")
    if not EMAIL_PATTERN.match(answers["author_email"]):
        problems.append(f"author_email: {answers['author_email']!r} is not an email address")
    return problems


def main(answers: dict[str, str]) -> int:
    problems = validate_answers(answers)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(json.loads(r"""{{ cookiecutter | jsonify }}""")))
