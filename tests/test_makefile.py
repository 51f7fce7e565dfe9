"""The generated Makefile hands people's values to the project's commands as they were typed:
no shell or make expansion of a quote, a space, a backquote or `$(...)` inside them.

`python` here is a stand-in placed where the Makefile looks first (.venv/bin), which records the
arguments it receives: what is under test is make and the shell between the person and the
command, not the command."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.baking import bake_into, package_of

# Each of these would run, or break the command into pieces, if pasted into a shell line.
HOSTILE = "it`touch backquoted` $(touch substituted) 'single' \"double\" $$HOME ;touch chained"
SPACED = "a folder/an input.csv"
MARKERS = ("backquoted", "substituted", "chained")
RECORDER = """#!/usr/bin/env bash
printf '%s\\0' "$@" > "$(dirname "$0")/../../arguments"
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    project = bake_into(tmp_path_factory.mktemp("makefile"))
    python = project / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(RECORDER)
    python.chmod(0o755)
    return project


def arguments_of(project: Path, *make_arguments: str) -> list[str]:
    """The arguments the project's command received from `make <make_arguments>`."""
    # uv, which some targets call to add a group first, has nothing to install for a stand-in.
    no_uv = f"UV={shutil.which('true')}"
    result = subprocess.run(
        ["make", no_uv, *make_arguments], cwd=project, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    recorded = (project / "arguments").read_text().split("\0")[:-1]
    assert recorded[:2] == ["-m", package_of(project)], recorded
    return recorded[2:]


@pytest.mark.parametrize(
    ("make_arguments", "expected"),
    [
        (("promote", "VERSION=3", f"REASON={HOSTILE}"),
         ["promote", "--version", "3", "--reason", HOSTILE]),
        (("predict", f"INPUT={SPACED}", f"OUTPUT={HOSTILE}"),
         ["predict", "--input", SPACED, "--output", HOSTILE]),
        (("score", f"INPUT={SPACED}", f"OUTPUT={HOSTILE}", f"MODEL={HOSTILE}"),
         ["score", "--input", SPACED, "--output", HOSTILE, "--model", HOSTILE]),
        (("lineage", f"MODEL={HOSTILE}"), ["lineage", HOSTILE]),
        (("card", f"MODEL={HOSTILE}"), ["card", HOSTILE]),
        (("drift", f"BATCH={HOSTILE}"), ["drift", HOSTILE]),
        (("report", f"BASE={HOSTILE}"), ["report", "--base", HOSTILE]),
        (("feedback", f"LABELS={SPACED}", f"LOG={HOSTILE}"),
         ["feedback", "--labels", SPACED, "--log", HOSTILE]),
        (("live-quality", f"LOG={HOSTILE}"), ["live-quality", "--log", HOSTILE]),
        (("ab-report", f"LOG={HOSTILE}"), ["ab-report", "--log", HOSTILE]),
        (("ui", f"HOST={SPACED}", f"UI_PORT={HOSTILE}"),
         ["ui", "--host", SPACED, "--port", HOSTILE]),
        (("serve", f"HOST={SPACED}", f"PORT={HOSTILE}"),
         ["serve", "--host", SPACED, "--port", HOSTILE]),
        (("serve", f"PORT={SPACED}", f"WORKERS={HOSTILE}"),
         ["serve", "--host", "127.0.0.1", "--port", SPACED, "--workers", HOSTILE]),
        (("adopt", f"DATA={SPACED}", f"TARGET={HOSTILE}", "TASK=regression"),
         ["adopt", "--data", SPACED, "--target", HOSTILE, "--task", "regression"]),
    ],
    ids=lambda value: value[0] if isinstance(value, tuple) else None,
)  # fmt: skip
def test_values_reach_the_command_as_typed(project, make_arguments, expected):
    assert arguments_of(project, *make_arguments) == expected
    assert not [marker for marker in MARKERS if (project / marker).exists()]


def test_values_from_the_environment_are_taken_as_typed_too(project):
    result = subprocess.run(
        ["make", "lineage"],
        cwd=project,
        env={**os.environ, "MODEL": HOSTILE},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (project / "arguments").read_text().split("\0")[2:-1] == ["lineage", HOSTILE]
    assert not [marker for marker in MARKERS if (project / marker).exists()]


def test_a_moving_image_tag_is_refused(project):
    result = subprocess.run(
        ["make", "deploy", "TAG=latest"], cwd=project, capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert any(line.startswith("error: TAG=latest is not") for line in result.stderr.splitlines())


# Each step notes when it starts and ends, slowly enough for a parallel make to overlap them.
STEP_RECORDER = """#!/usr/bin/env bash
echo "start $3" >> "$(dirname "$0")/../../steps"
sleep 0.2
echo "end $3" >> "$(dirname "$0")/../../steps"
"""


def test_steps_named_together_run_in_order_under_a_parallel_make(tmp_path):
    project = bake_into(tmp_path)
    python = project / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(STEP_RECORDER)
    python.chmod(0o755)
    steps = ["register", "gate", "promote"]
    # As a parallel make hands its flags to the commands it runs.
    result = subprocess.run(
        ["make", *steps],
        cwd=project,
        env={**os.environ, "MAKEFLAGS": "-j3"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    expected = [f"{event} {step}" for step in steps for event in ("start", "end")]
    assert (project / "steps").read_text().splitlines() == expected


# uv's stand-in: each call, one line of its arguments.
UV_RECORDER = """#!/usr/bin/env bash
echo "$*" >> "$(dirname "$0")/uv-calls"
"""
DVC_CONFIG = """[core]
    remote = storage
['remote "storage"']
    url = {url}
"""


@pytest.mark.parametrize(
    ("target", "url", "extra_groups", "added"),
    [
        ("setup", "../storage", "", []),
        ("setup", "s3://bucket/data", "", ["team"]),
        ("setup", "../storage", "dask server", ["dask", "server"]),
        ("push", "s3://bucket/data", "dask", ["dask", "team"]),
        ("pull", "s3://bucket/data", "", ["team"]),
        ("score", "../storage", "", ["dask"]),
    ],
)  # fmt: skip
def test_the_groups_the_configuration_names_join_the_environment(
    project, tmp_path, target, url, extra_groups, added
):
    uv = tmp_path / "uv"
    uv.write_text(UV_RECORDER)
    uv.chmod(0o755)
    # DVC itself has nothing to do here: what is under test is which groups uv is asked for.
    (project / ".venv" / "bin" / "dvc").symlink_to(shutil.which("true"))
    (project / ".dvc").mkdir()
    (project / ".dvc" / "config").write_text(DVC_CONFIG.format(url=url))
    try:
        result = subprocess.run(
            ["make", f"UV={uv}", f"EXTRA_GROUPS={extra_groups}", target, "INPUT=in", "OUTPUT=out"],
            cwd=project, capture_output=True, text=True, check=False,
        )  # fmt: skip
    finally:
        (project / ".venv" / "bin" / "dvc").unlink()
        shutil.rmtree(project / ".dvc")
    assert result.returncode == 0, result.stdout + result.stderr
    recorded = tmp_path / "uv-calls"
    calls = recorded.read_text().splitlines() if recorded.exists() else []
    adding = [call for call in calls if "--inexact" in call]
    groups = " ".join(f"--group={group}" for group in added)
    assert adding == ([f"sync --locked --inexact --quiet {groups}"] if added else [])
