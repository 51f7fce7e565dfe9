"""Serve one registered model with the project's service and with `mlflow models serve`.

Both run with one worker on this machine, in one run, loaded by wrk from a second process on
127.0.0.1: requests/s and p50/p99 latency for 1-row and 100-row requests, rounds interleaved so
that both servers see the same machine. The project's service also runs with two workers, for
1-row requests on 8 connections, enough to keep both busy. In-process scoring times are the
floor.

Run with `nox --session bench -- serving`; needs wrk (`apt-get install wrk`). Figures go to
stdout; nothing is asserted.
"""

import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from baked import bake, environment, free_port, run, wait_for

PACKAGE = "my_ml_project"
ROUNDS = 3
SECONDS_PER_RUN = 5
OURS = "this service"
OURS_TWO_WORKERS = "this service, 2 workers"
MLFLOW = "mlflow models serve"
# (label, rows per request, connections, servers)
CASES = [
    ("1 row, 1 connection", 1, 1, (OURS, MLFLOW)),
    ("1 row, 8 connections", 1, 8, (OURS, OURS_TWO_WORKERS, MLFLOW)),
    ("100 rows, 1 conn", 100, 1, (OURS, MLFLOW)),
]
WRK_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local file = io.open(os.getenv("BODY_FILE"), "r")
wrk.body = file:read("*a")
file:close()
"""
FLOOR_SCRIPT = """
import json, statistics, sys, time
from pathlib import Path
from {package}.core.config import load_params
from {package}.core.data import read_table
from {package}.project.schema import DATA
from {package}.serving.served_model import load_export

model = load_export(Path(sys.argv[1]), "export")
frame = read_table(load_params().paths.raw_data)

def median_us(call, repeats=2000):
    call()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e6

figures = {{}}
for rows in (1, 100):
    part = frame.head(rows)
    tuples = list(part[DATA.feature_names].itertuples(index=False, name=None))
    features = DATA.model_frame(part)
    figures[f"served model predict, {{rows}} rows"] = median_us(lambda: model.predict(tuples))
    figures[f"the estimator's scores on a DataFrame, {{rows}} rows"] = median_us(
        lambda: model.task.scores(model.estimator, features)
    )
print(json.dumps(figures))
"""
# The first 100 rows of the project's data as a client sends them, and the features' names.
REQUEST_ROWS = """
import json
from {package}.core.config import load_params
from {package}.core.data import read_table
from {package}.project.schema import DATA
from {package}.serving.smoke import request_row

frame = read_table(load_params().paths.raw_data).head(100)
rows = [request_row(row) for _, row in frame.iterrows()]
print(json.dumps({{"features": DATA.feature_names, "rows": rows}}))
"""


def to_ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}[unit]


def load(url: str, body: Path, connections: int, script: Path) -> dict[str, float]:
    output = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{SECONDS_PER_RUN}s", "--latency", "-s",
         str(script), url],
        env={**os.environ, "BODY_FILE": str(body)},
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if errors:
        sys.exit(f"{url} answered {errors.group(1)} requests with errors:\n{output}")
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        # Lines of the latency distribution, not the "+/- Stdev" column, which also ends in %.
        "p50": to_ms(re.search(r"^\s+50%\s+(\S+)", output, re.MULTILINE).group(1)),
        "p99": to_ms(re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE).group(1)),
    }


def main() -> None:
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install wrk")
    with tempfile.TemporaryDirectory() as scratch_dir:
        scratch = Path(scratch_dir)
        project = bake(scratch_dir)
        run(project, "make", "setup")
        run(project, "make", "repro", "register", "promote")
        model_name = json.loads(run(project, "python", "-m", PACKAGE, "lineage", "--json"))[
            "model_name"
        ]
        export = scratch / "export"
        run(project, "python", "-m", PACKAGE, "export", "--output", str(export))

        sent = json.loads(run(project, "python", "-c", REQUEST_ROWS.format(package=PACKAGE)))
        features = sent["features"]
        bodies = {}
        for rows in (1, 100):
            records = sent["rows"][:rows]
            ours = scratch / f"ours-{rows}.json"
            ours.write_text(json.dumps(records[0] if rows == 1 else records))
            theirs = scratch / f"mlflow-{rows}.json"
            data = [[record[name] for name in features] for record in records]
            theirs.write_text(json.dumps({"dataframe_split": {"columns": features, "data": data}}))
            bodies[rows] = {OURS: ours, OURS_TWO_WORKERS: ours, MLFLOW: theirs}
        script = scratch / "post.lua"
        script.write_text(WRK_SCRIPT)

        # Other work on the machine moves the figures; the load average tells how much there was.
        load_before = os.getloadavg()[0]
        ports = {name: free_port() for name in (OURS, OURS_TWO_WORKERS, MLFLOW)}
        commands = {
            OURS: ["python", "-m", PACKAGE, "serve", "--port", str(ports[OURS])],
            OURS_TWO_WORKERS: ["python", "-m", PACKAGE, "serve", "--workers", "2", "--port",
                               str(ports[OURS_TWO_WORKERS])],
            MLFLOW: ["mlflow", "models", "serve", "-m", f"models:/{model_name}@champion",
                     "--env-manager", "local", "--workers", "1", "-h", "127.0.0.1", "-p",
                     str(ports[MLFLOW])],
        }  # fmt: skip
        servers = {
            name: subprocess.Popen(
                command, cwd=project, start_new_session=True,
                env=environment(project, {
                    # A log for each server: two servers do not take turns on one file.
                    "SERVING_PREDICTION_LOG": str(scratch / f"predictions-{ports[name]}.jsonl"),
                    # The project's store, named for `mlflow models serve`, which ignores
                    # config.py.
                    "MLFLOW_TRACKING_URI": "sqlite:///mlflow.db",
                }),
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
            for name, command in commands.items()
        }  # fmt: skip
        try:
            for name in (OURS, OURS_TWO_WORKERS):
                wait_for(f"http://127.0.0.1:{ports[name]}/ready", servers[name])
            wait_for(f"http://127.0.0.1:{ports[MLFLOW]}/ping", servers[MLFLOW])
            results = {}
            for label, rows, connections, names in CASES:
                for _ in range(ROUNDS):
                    for name in names:
                        port = ports[name]
                        path = "/invocations" if name == MLFLOW else "/predict"
                        figures = load(
                            f"http://127.0.0.1:{port}{path}",
                            bodies[rows][name],
                            connections,
                            script,
                        )
                        results.setdefault((label, name), []).append(figures)
        finally:
            for server in servers.values():
                os.killpg(server.pid, signal.SIGTERM)
                server.wait(timeout=30)

        floor = json.loads(
            run(project, "python", "-c", FLOOR_SCRIPT.format(package=PACKAGE), str(export))
        )

    print(
        f"wrk -t1 -d{SECONDS_PER_RUN}s, median of {ROUNDS} interleaved rounds; one worker each "
        f"unless named; {os.cpu_count()} CPUs; load average {load_before:.1f} before, "
        f"{os.getloadavg()[0]:.1f} after"
    )
    print(f"{'case':24} {'server':24} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}")
    for label, _, _, names in CASES:
        medians = {}
        for name in names:
            runs = results[label, name]
            medians[name] = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
            m = medians[name]
            print(f"{label:24} {name:24} {m['rps']:9.0f} {m['p50']:8.2f} {m['p99']:8.2f}")
        ratio = medians[OURS]["rps"] / medians[MLFLOW]["rps"]
        print(f"{'':24} {'throughput ratio':24} {ratio:9.1f}x")
        if OURS_TWO_WORKERS in names:
            scaling = medians[OURS_TWO_WORKERS]["rps"] / medians[OURS]["rps"]
            print(f"{'':24} {'2 workers / 1 worker':24} {scaling:9.1f}x")
    print("in-process floor (median):")
    for name, micros in floor.items():
        print(f"  {name:48} {micros / 1000:8.3f} ms")


if __name__ == "__main__":
    sys.exit(main())
