"""The service imports nothing the image leaves out: the image installs the runtime alone."""

import subprocess
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

PACKAGE = "{{ cookiecutter.package_name }}"
# The groups of pyproject.toml whose libraries the package imports outside serving.
LEFT_OUT_OF_THE_IMAGE = ("pipeline", "dask", "team")


def modules_of(groups: tuple[str, ...]) -> set[str]:
    """The top-level modules that the groups' own requirements install."""
    declared = tomllib.loads(Path("pyproject.toml").read_text())["dependency-groups"]
    names = {
        canonicalize_name(Requirement(requirement).name)
        for group in groups
        for requirement in declared[group]
        if isinstance(requirement, str)
    }
    return {
        module
        for module, distributions in packages_distributions().items()
        if names & {canonicalize_name(distribution) for distribution in distributions}
    }


def test_serving_imports_none_of_the_groups_the_image_leaves_out():
    left_out = modules_of(LEFT_OUT_OF_THE_IMAGE)
    assert {"mlflow", "dvc", "pandera", "dask"} <= left_out
    # What `serve` imports before it loads a model, in an interpreter of its own: this one has
    # imported the whole package.
    code = f"import sys, {PACKAGE}.cli.main, {PACKAGE}.serving.app; print(*sys.modules)"
    imported = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert {name.partition(".")[0] for name in imported} & left_out == set()
