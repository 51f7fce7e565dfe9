"""Time the template's main job: `make demo`, a first `dvc repro`, and a no-op `dvc repro`.

Run with `nox --session bench -- pipeline`. Figures go to stdout; nothing is asserted.
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cookiecutter.main import cookiecutter

TEMPLATE_ROOT = Path(__file__).resolve().parents[1]
# What a nox session with the uv backend sets to point uv and python at its own venv.
SESSION_VARIABLES = {"VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT", "UV_PYTHON"}
NO_OP_REPEATS = 5


def timed(command: list[str], cwd: Path) -> float:
    env = {key: value for key, value in os.environ.items() if key not in SESSION_VARIABLES}
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    demo = timed(["make", "demo"], TEMPLATE_ROOT)
    print(f"make demo (warm package cache):  {demo:6.1f} s")

    with tempfile.TemporaryDirectory() as scratch:
        project = Path(cookiecutter(str(TEMPLATE_ROOT), no_input=True, output_dir=scratch))
        timed(["make", "setup"], project)
        venv_bin = project / ".venv" / "bin"
        dvc = [str(venv_bin / "dvc"), "repro"]
        os.environ["PATH"] = f"{venv_bin}{os.pathsep}{os.environ['PATH']}"
        print(f"first dvc repro of the sample:   {timed(dvc, project):6.1f} s")
        no_ops = [timed(dvc, project) for _ in range(NO_OP_REPEATS)]
        print(
            f"no-op dvc repro:                 {statistics.median(no_ops):6.2f} s "
            f"(median of {NO_OP_REPEATS}, min {min(no_ops):.2f} s, max {max(no_ops):.2f} s)"
        )


if __name__ == "__main__":
    sys.exit(main())
