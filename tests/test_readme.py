"""What the READMEs name exists: every make target and command of the project's CLI they tell
people to run, and every file of the project's code map, which in turn maps every file; so that
adding, removing or renaming one fails here until the README says so."""

import re
from pathlib import Path

import pytest

from tests.baking import DEFAULTS, TEMPLATE_ROOT, bake_into, package_of

# Code as the READMEs show it: fenced blocks and `inline` spans; prose may say "make sense".
CODE = re.compile(r"```.*?```|`[^`\n]+`", re.DOTALL)
# `make repro push register` names three targets; a VARIABLE=value ends the list.
MAKE = re.compile(r"(?:^|[\s`&;(])make ((?:[a-z][a-z-]*(?: |$))+)", re.MULTILINE)
TARGET = re.compile(r"^([a-z][a-z-]*):", re.MULTILINE)
# A row of the code map: a path (a directory ends with /), whose it is, what it holds.
MAP_ROW = re.compile(r"^\| `([^`]+)` \| (yours|shared|template's) \| .+ \|$", re.MULTILINE)


def code(readme: Path) -> list[str]:
    return CODE.findall(readme.read_text())


def named_targets(readme: Path) -> set[str]:
    return {target for span in code(readme) for run in MAKE.findall(span) for target in run.split()}


def targets(makefile: Path) -> set[str]:
    return set(TARGET.findall(makefile.read_text()))


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return bake_into(tmp_path_factory.mktemp("readme"))


def test_every_make_target_the_project_readme_names_exists(project):
    named = named_targets(project / "README.md")
    assert {"setup", "repro", "serve"} <= named
    assert sorted(named - targets(project / "Makefile")) == []


def test_every_make_target_the_template_readme_names_exists(project):
    # Its commands run in the template's checkout, or in a project it generated.
    named = named_targets(TEMPLATE_ROOT / "README.md")
    assert {"demo", "test"} <= named
    known = targets(TEMPLATE_ROOT / "Makefile") | targets(project / "Makefile")
    assert sorted(named - known) == []


def test_every_command_the_readmes_run_is_in_the_projects_cli(project):
    package = package_of(project)
    source = project / "src" / package
    declared = "".join(path.read_text() for path in (source / "cli").glob("*.py"))
    # Each module of the pipeline package is a stage, and its command.
    stages = {path.stem for path in (source / "pipeline").glob("[!_]*.py")}
    commands = set(re.findall(r'\.command\(\s*"([a-z-]+)"', declared)) | stages
    # The installed script is the project's name; `python -m` takes the package's.
    invocation = re.compile(rf"(?:python -m {package}|\b{project.name}) ([a-z][a-z-]*)")
    readmes = [project / "README.md", TEMPLATE_ROOT / "README.md"]
    named = {
        command
        for readme in readmes
        for span in code(readme)
        for command in invocation.findall(span)
    }
    assert "drift" in named
    assert sorted(named - commands) == []
    # The package's name alone is no command.
    assert [span for span in code(project / "README.md") if span.startswith(f"`{package} ")] == []


def code_map(project: Path) -> list[str]:
    readme = (project / "README.md").read_text()
    section = readme.split("\n## Code map\n", 1)[1].split("\n## ", 1)[0]
    return MAP_ROW.findall(section)


@pytest.mark.parametrize("ci_provider", DEFAULTS["ci_provider"])
def test_the_code_map_names_every_file_once_and_nothing_else(tmp_path, ci_provider):
    project = bake_into(tmp_path, ci_provider=ci_provider)
    rows = code_map(project)
    paths = [path for path, _ in rows]
    assert len(paths) == len(set(paths))
    assert [path for path in paths if not (project / path).exists()] == []
    files = [
        path.relative_to(project).as_posix()
        for path in project.rglob("*")
        if path.is_file() and ".git" not in path.relative_to(project).parts
    ]
    directories = [path for path in paths if path.endswith("/")]
    unmapped = [
        file
        for file in files
        if file not in paths and not any(file.startswith(directory) for directory in directories)
    ]
    assert unmapped == []
    # The package's modules each by name: a directory row covers a package of its own.
    package = f"src/{package_of(project)}/"
    modules = [file for file in files if file.startswith(package) and file.count("/") == 2]
    assert [module for module in modules if module not in paths] == []
    owners = dict(rows)
    assert owners["params.yaml"] == owners[f"{package}project/schema.py"] == "yours"
