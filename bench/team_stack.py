"""Time the team rung against the laptop rung: the stack's start, the pipeline and registry
commands on an MLflow server on PostgreSQL versus the embedded sqlite store, and DVC push and
pull through an S3-compatible remote.

Run with `nox --session bench -- team_stack` (needs PostgreSQL's server binaries). It bakes a
project, sets it up, and measures with the project's own environment and test helpers, which
start the same services as its `services` tests. Figures go to stdout; nothing is asserted.
"""

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from baked import bake, environment, raw_data, run

MEASURE = "measure"
REGISTRY_COMMANDS = [["register"], ["promote"], ["lineage", "champion"], ["rollback"]]


def timed(run, *command: str, check: bool = True) -> float:
    start = time.perf_counter()
    run(*command, check=check)
    return time.perf_counter() - start


def measure(project: Path, scratch: Path) -> None:
    """Runs inside the baked project's environment, with the project on sys.path."""
    from tests.integration import services
    from tests.integration.project_copy import cli, copy_project, runner

    binaries = services.postgres_binaries()
    if binaries is None:
        raise SystemExit("PostgreSQL's server binaries are missing: apt-get install postgresql")
    start = time.perf_counter()
    with services.team_stack(binaries, scratch) as stack:
        started = time.perf_counter() - start
        print(f"stack start (PostgreSQL, S3 server, MLflow on an empty database): {started:6.1f} s")
        stores = {"sqlite": None, "server": stack.tracking_uri}
        rows = {}
        for label, uri in stores.items():
            copy = copy_project(scratch / label / project.name)
            run = runner(copy, {"MLFLOW_TRACKING_URI": uri} if uri else None)
            cli(run, "init-tracking")
            run("dvc", "add", "--quiet", raw_data(project))
            rows[label] = [timed(run, "dvc", "repro")]
            module = [sys.executable, "-m", project.name.replace("-", "_")]
            # rollback has nothing to restore after one promotion; its time still counts.
            rows[label] += [timed(run, *module, *args, check=False) for args in REGISTRY_COMMANDS]
        names = ["dvc repro", *(" ".join(args) for args in REGISTRY_COMMANDS)]
        print(f"{'command':22} {'sqlite':>8} {'server':>8}")
        for index, name in enumerate(names):
            print(f"{name:22} {rows['sqlite'][index]:7.1f}s {rows['server'][index]:7.1f}s")

        run = runner(scratch / "server" / project.name, {**services.S3_CREDENTIALS})
        remote = f"s3://{services.DVC_BUCKET}/bench"
        run("dvc", "remote", "add", "--default", "--force", "storage", remote)
        run("dvc", "remote", "modify", "--local", "storage", "endpointurl", stack.s3_endpoint)
        pushed = timed(run, "dvc", "push", "--run-cache")
        keys = len(stack.bucket_keys(services.DVC_BUCKET, prefix="bench/"))
        print(f"dvc push --run-cache to the S3 remote: {pushed:6.1f} s ({keys} objects)")
        outputs = [raw_data(project), "data/processed", "models/model"]
        run("rm", "-rf", ".dvc/cache", *outputs)
        pulled = timed(run, "dvc", "pull", "--run-cache")
        print(f"dvc pull --run-cache into an empty cache: {pulled:6.1f} s")


def main() -> None:
    if sys.argv[1:2] == [MEASURE]:
        project, scratch = Path(sys.argv[2]), Path(sys.argv[3])
        return measure(project, scratch)

    with tempfile.TemporaryDirectory() as scratch:
        project = bake(scratch)
        run(project, "make", "setup")
        work = Path(scratch) / "work"
        work.mkdir()
        subprocess.run(
            [str(project / ".venv/bin/python"), __file__, MEASURE, str(project), str(work)],
            cwd=project,
            env=environment(project, {"PYTHONPATH": str(project)}),
            check=True,
        )


if __name__ == "__main__":
    sys.exit(main())
