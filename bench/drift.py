"""Measure the drift check on a baked project: what it detects, and how long it takes.

Run with `nox --session bench -- drift`. Figures go to stdout; nothing is asserted.

Detection: each numeric feature alone is shifted by a number of its standard deviations, in
the held-out split (never trained on) and in the whole sample, and the share of features the
check flags is printed; with no shift, that share is the false-alarm rate.
Time: the `drift` command, end to end, on batches of growing size.
"""

import statistics
import sys
import tempfile
from pathlib import Path

from baked import bake, package_of, raw_data, run, timed

SHIFTS = (0.0, 0.25, 0.5, 0.75, 1.0)
BATCH_ROWS = (1_000, 10_000, 100_000)
REPEATS = 3

# Runs inside the baked project, with its own interpreter and package.
DETECTION = """
from {package}.core.config import load_params
from {package}.monitoring.drift.batch import read_batch, shift_features
from {package}.monitoring.drift.compare import compare
from {package}.monitoring.drift.profile import load_profile
from {package}.project.schema import DATA

params = load_params()
profile = load_profile(params.paths.reference_profile)
numeric = [feature.name for feature in DATA.features if feature.kind == "numeric"]
for source in (params.paths.test_data, params.paths.raw_data):
    batch = read_batch(source)
    for shift in {shifts}:
        flagged = [
            name in compare(
                profile, shift_features(batch, [name], shift), str(source), params.drift
            ).drifted_features
            for name in numeric
        ]
        print(f"{{str(source):28}} {{len(batch):4}} rows  shift {{shift:4}} sd:  "
              f"{{sum(flagged):2}} of {{len(numeric)}} numeric features flagged")
"""


def repeated_rows(raw: Path, rows: int, destination: Path) -> Path:
    header, *lines = raw.read_text().splitlines(keepends=True)
    destination.write_text(header + "".join(lines[index % len(lines)] for index in range(rows)))
    return destination


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        project = bake(scratch)
        package = package_of(project)
        run(project, "make", "setup")
        run(project, "dvc", "repro", "profile")

        print("Detection (a feature counts when the check flags it):")
        detection = DETECTION.format(package=package, shifts=SHIFTS)
        print(run(project, "python", "-c", detection), end="")

        print("Time of `drift` end to end (median of runs; the sample repeated to size):")
        raw = project / raw_data(project)
        for rows in BATCH_ROWS:
            batch = repeated_rows(raw, rows, Path(scratch) / f"batch-{rows}.csv")
            command = ("python", "-m", package, "drift", str(batch))
            # Exit status 3 means the check ran and found drift.
            times = [timed(project, *command, accepted=(0, 3)) for _ in range(REPEATS)]
            print(
                f"  {rows:7} rows: {statistics.median(times):5.2f} s "
                f"(min {min(times):.2f} s, max {max(times):.2f} s, {REPEATS} runs)"
            )


if __name__ == "__main__":
    sys.exit(main())
