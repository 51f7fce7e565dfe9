"""Time the template's main job and the generated project's set-up and pipeline: `make demo`,
`make setup` with the size of the environment it installs, a first `dvc repro`, and a no-op
`make repro` against a bare `dvc status` on the same graph.

Run with `nox --session bench -- pipeline`. Figures go to stdout; nothing is asserted.
"""

import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from baked import TEMPLATE_ROOT, bake, timed

NO_OP_REPEATS = 5


def median_of(project: Path, *command: str) -> str:
    times = [timed(project, *command) for _ in range(NO_OP_REPEATS)]
    return (
        f"{statistics.median(times):6.2f} s (median of {NO_OP_REPEATS}, "
        f"min {min(times):.2f} s, max {max(times):.2f} s)"
    )


def main() -> None:
    demo = timed(TEMPLATE_ROOT, "make", "demo")
    print(f"make demo (warm package cache):  {demo:6.1f} s")

    with tempfile.TemporaryDirectory() as scratch:
        project = bake(scratch)
        print(f"make setup (warm package cache): {timed(project, 'make', 'setup'):6.1f} s")
        size = subprocess.run(
            ["du", "-sh", ".venv"], cwd=project, capture_output=True, text=True, check=True
        )
        print(f"its .venv:                       {size.stdout.split()[0]:>6}")
        print(f"first dvc repro of the sample:   {timed(project, 'dvc', 'repro'):6.1f} s")
        print(f"no-op make repro:                {median_of(project, 'make', 'repro')}")
        print(f"bare dvc status:                 {median_of(project, 'dvc', 'status')}")


if __name__ == "__main__":
    sys.exit(main())
