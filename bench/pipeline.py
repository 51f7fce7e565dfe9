"""Time the template's main job and the generated project's set-up and pipeline: `make demo`,
`make setup` with the size of the environment it installs and of the one each dependency group
makes with the runtime, a first `dvc repro`, and a no-op `make repro` against a bare
`dvc status` on the same graph.

Run with `nox --session bench -- pipeline`. Figures go to stdout; nothing is asserted.
"""

import os
import statistics
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

from baked import TEMPLATE_ROOT, bake, run, timed

NO_OP_REPEATS = 5


def median_of(project: Path, *command: str) -> str:
    times = [timed(project, *command) for _ in range(NO_OP_REPEATS)]
    return (
        f"{statistics.median(times):6.2f} s (median of {NO_OP_REPEATS}, "
        f"min {min(times):.2f} s, max {max(times):.2f} s)"
    )


def size(path: Path | str) -> str:
    du = subprocess.run(["du", "-sh", str(path)], capture_output=True, text=True, check=True)
    return du.stdout.split()[0]


def group_sizes(project: Path) -> None:
    """What `uv sync` installs for the runtime alone and for it with each group, from the cache
    (the project's modules compile as they are imported, so this is without bytecode)."""
    uv = os.environ.get("UV", "uv")
    groups = tomllib.loads((project / "pyproject.toml").read_text())["dependency-groups"]
    for group in [None, *groups]:
        with tempfile.TemporaryDirectory() as venv:
            chosen = [f"--group={group}"] if group else []
            sync = [uv, "sync", "--locked", "--quiet", "--no-default-groups", *chosen]
            run(project, *sync, env={"UV_PROJECT_ENVIRONMENT": venv, "UV_COMPILE_BYTECODE": "0"})
            print(f"  runtime{f' + {group}' if group else ''}: {size(venv):>6}")


def main() -> None:
    demo = timed(TEMPLATE_ROOT, "make", "demo")
    print(f"make demo (warm package cache):  {demo:6.1f} s")

    with tempfile.TemporaryDirectory() as scratch:
        project = bake(scratch)
        print(f"make setup (warm package cache): {timed(project, 'make', 'setup'):6.1f} s")
        print(f"its .venv:                       {size(project / '.venv'):>6}")
        print("environment per dependency group:")
        group_sizes(project)
        print(f"first dvc repro of the sample:   {timed(project, 'dvc', 'repro'):6.1f} s")
        print(f"no-op make repro:                {median_of(project, 'make', 'repro')}")
        print(f"bare dvc status:                 {median_of(project, 'dvc', 'status')}")


if __name__ == "__main__":
    sys.exit(main())
