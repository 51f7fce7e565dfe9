"""Time the template's main job: `make demo`, a first `dvc repro`, and a no-op `dvc repro`.

Run with `nox --session bench -- pipeline`. Figures go to stdout; nothing is asserted.
"""

import statistics
import sys
import tempfile

from baked import TEMPLATE_ROOT, bake, timed

NO_OP_REPEATS = 5


def main() -> None:
    demo = timed(TEMPLATE_ROOT, "make", "demo")
    print(f"make demo (warm package cache):  {demo:6.1f} s")

    with tempfile.TemporaryDirectory() as scratch:
        project = bake(scratch)
        timed(project, "make", "setup")
        print(f"first dvc repro of the sample:   {timed(project, 'dvc', 'repro'):6.1f} s")
        no_ops = [timed(project, "dvc", "repro") for _ in range(NO_OP_REPEATS)]
        print(
            f"no-op dvc repro:                 {statistics.median(no_ops):6.2f} s "
            f"(median of {NO_OP_REPEATS}, min {min(no_ops):.2f} s, max {max(no_ops):.2f} s)"
        )


if __name__ == "__main__":
    sys.exit(main())
