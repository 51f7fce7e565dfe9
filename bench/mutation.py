"""Mutation testing of a baked project's decision modules: how many mutants its unit tests kill.

Run with `nox --session bench -- mutation`. It bakes a project with the default answers, sets
it up, and runs its `make mutation`: mutmut changes the quality gate, the registry, the
service's request checks and the drift decision one small edit at a time, and runs the unit
tests on each change. Prints each module's score as the session reports it (killed / mutants,
the share, what was left), and the time taken. Figures go to stdout; nothing is asserted.
"""

import itertools
import sys
import tempfile
import time

from baked import bake, run

# The line before the session's table of scores, one module per line up to a blank line.
SCORES_HEADER = "Mutants killed by the unit tests"


def scores(output: str) -> list[str]:
    lines = output.splitlines()
    start = next(index for index, line in enumerate(lines) if line.startswith(SCORES_HEADER))
    return list(itertools.takewhile(str.strip, lines[start:]))


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        project = bake(scratch)
        run(project, "make", "setup")
        start = time.perf_counter()
        output = run(project, "make", "mutation")
        elapsed = time.perf_counter() - start
    print("\n".join(scores(output)))
    print(f"make mutation took {elapsed / 60:.1f} min ({elapsed:.0f} s), on a fresh bake")


if __name__ == "__main__":
    sys.exit(main())
