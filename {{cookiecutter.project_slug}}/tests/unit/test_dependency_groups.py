"""The default groups carry MLflow's client with what its store and UI import, not the full
`mlflow`, which the lock holds for the tracking server's group (pyproject.toml says why)."""

import tomllib
from pathlib import Path

# What the full `mlflow` requires that `make setup` leaves out: pyarrow (155 MB, for MLflow's
# datasets and Spark, which the project does not use), Docker's client (for `mlflow models
# build-docker`; the project builds its own image), two WSGI servers (`mlflow server` runs
# uvicorn), and mlflow-tracing, whose modules mlflow-skinny holds too.
LEFT_OUT_OF_MLFLOW = {"docker", "gunicorn", "mlflow-tracing", "pyarrow", "waitress"}
PYPROJECT = tomllib.loads(Path("pyproject.toml").read_text())


def installed_by(lock: dict, project: str, groups: list[str]) -> set[str]:
    """Every package uv.lock installs for the project's runtime and `groups`, on any Python
    version or platform."""
    # A package locked at two versions (by Python version) appears twice.
    versions: dict[str, list[dict]] = {}
    for package in lock["package"]:
        versions.setdefault(package["name"], []).append(package)
    (own,) = versions[project]
    groups_of = own["dev-dependencies"]
    pending = [*own["dependencies"], *(item for group in groups for item in groups_of[group])]
    installed: set[str] = set()
    while pending:
        dependency = pending.pop()
        for package in versions[dependency["name"]]:
            extras = package.get("optional-dependencies", {})
            pending += [item for extra in dependency.get("extra", []) for item in extras[extra]]
            if dependency["name"] not in installed:
                pending += package.get("dependencies", [])
        installed.add(dependency["name"])
    return installed


def test_the_default_groups_install_what_mlflow_requires_but_what_they_leave_out():
    lock = tomllib.loads(Path("uv.lock").read_text())
    (mlflow,) = (package for package in lock["package"] if package["name"] == "mlflow")
    required = {dependency["name"] for dependency in mlflow["dependencies"]}
    project, defaults = PYPROJECT["project"]["name"], PYPROJECT["tool"]["uv"]["default-groups"]
    installed = installed_by(lock, project, defaults)
    assert "mlflow-skinny" in installed
    assert required - installed == LEFT_OUT_OF_MLFLOW
    assert not installed & LEFT_OUT_OF_MLFLOW
