"""A project generated from one template version takes a later one with `cruft update`."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter

from tests.baking import TEMPLATE_ROOT
from tests.commands import commit_all, cruft, git, make, run_make

pytestmark = pytest.mark.slow

TEMPLATE_PROJECT = "{{cookiecutter.project_slug}}"
# Later template version: a new Makefile target and a changed noxfile line, which the template
# owns, and a comment in params.yaml, which the project edits elsewhere.
NEW_TARGET = "template-version"
MAKEFILE_ADDITION = (
    f"\n{NEW_TARGET}: ## Print the template commit this project is on\n\t@cat .cruft.json\n"
)
NOXFILE_DOCSTRING = (
    '"""Sessions for linting and testing; each installs exactly what uv.lock pins."""',
    '"""Sessions for linting and testing, each from exactly what uv.lock pins."""',
)
PARAMS_COMMENT = (
    "  # Fewer rows than this fails validation;",
    "  # Fewer rows than this fails the validate stage;",
)
# The project's own changes: its hyperparameters, its data schema and its model.
USER_CHANGES = {
    "params.yaml": ("  C: 1.0\n", "  C: 0.5\n"),
    "src/my_ml_project/project/schema.py": ('"""Your data:', '"""Our data, as we know it:'),
    "src/my_ml_project/project/model.py": ("StandardScaler", "RobustScaler"),
}


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{path} no longer contains {old!r}"
    path.write_text(text.replace(old, new))


def snapshot_template(destination: Path) -> str:
    """Commit the template as it is on disk, uncommitted edits included, to a new repository."""
    listed = git(TEMPLATE_ROOT, "ls-files", "--cached", "--others", "--exclude-standard", "-z")
    for name in filter(None, listed.split("\0")):
        source = TEMPLATE_ROOT / name
        if source.is_file():  # a tracked file deleted on disk stays out
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    git(destination, "init", "--quiet", "--initial-branch=main")
    return commit_all(destination, "Template version A")


def change_template(template: Path) -> str:
    project = template / TEMPLATE_PROJECT
    with (project / "Makefile").open("a") as makefile:
        makefile.write(MAKEFILE_ADDITION)
    edit(project / "noxfile.py", *NOXFILE_DOCSTRING)
    edit(project / "params.yaml", *PARAMS_COMMENT)
    return commit_all(template, "Template version B")


def bake_from_git(template_url: str, commit: str, workspace: Path) -> Path:
    """Generate a project from one commit of a template fetched by git, as a user would."""
    config = workspace / "cookiecutter-config.yaml"
    config.write_text(
        f"cookiecutters_dir: {workspace / 'cookiecutters'}\nreplay_dir: {workspace / 'replay'}\n"
    )
    output = workspace / "projects"
    return Path(
        cookiecutter(
            template_url,
            checkout=commit,
            no_input=True,
            output_dir=str(output),
            config_file=str(config),
        )
    )


@pytest.fixture(scope="module")
def updated(tmp_path_factory) -> tuple[Path, str, subprocess.CompletedProcess]:
    """A project baked from version A, changed by its user, then updated to version B."""
    workspace = tmp_path_factory.mktemp("update")
    template = workspace / "template"
    template.mkdir()
    commit_a = snapshot_template(template)
    commit_b = change_template(template)

    # `git+` tells cookiecutter that a URL without "git" in it is a git repository.
    project = bake_from_git(f"git+{template.as_uri()}", commit_a, workspace)
    for name, (old, new) in USER_CHANGES.items():
        edit(project / name, old, new)
    commit_all(project, "Tune the model and widen the schema")

    result = cruft(project, "update", "--skip-apply-ask", "--checkout", commit_b)
    assert result.returncode == 0, result.stdout + result.stderr
    return project, commit_b, result


def test_the_template_change_arrives_and_the_user_change_survives(updated):
    project, _, _ = updated
    changed = {line[3:] for line in git(project, "status", "--porcelain").splitlines()}
    assert changed == {".cruft.json", "Makefile", "noxfile.py", "params.yaml"}
    assert (project / "Makefile").read_text().endswith(MAKEFILE_ADDITION)
    assert NOXFILE_DOCSTRING[1] in (project / "noxfile.py").read_text()
    params = (project / "params.yaml").read_text()
    assert PARAMS_COMMENT[1] in params
    for name, (old, new) in USER_CHANGES.items():
        text = (project / name).read_text()
        assert new in text
        assert old not in text


def test_the_update_leaves_no_rejects_or_conflicts(updated):
    project, _, _ = updated
    assert list(project.rglob("*.rej")) == []
    assert git(project, "diff", "--name-only", "--diff-filter=U") == ""
    tracked = git(project, "ls-files").splitlines()
    assert not [name for name in tracked if "<<<<<<<" in (project / name).read_text("latin-1")]


def test_cruft_renders_do_not_set_up_repositories(updated):
    # The post-generation hook prints this line only after its git set-up.
    _, _, result = updated
    assert "Next: cd" not in result.stdout


def test_the_project_is_on_the_new_template_version(updated):
    project, commit_b, _ = updated
    assert json.loads((project / ".cruft.json").read_text())["commit"] == commit_b
    result = cruft(project, "check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_updated_project_passes_its_unit_tests(updated):
    project, _, _ = updated
    make(project, "setup")
    assert NEW_TARGET in make(project, "help")
    result = run_make(project, "unit")
    assert result.returncode == 0, result.stdout + result.stderr
