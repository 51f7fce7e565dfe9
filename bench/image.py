"""Measure the serving image: its size, and the time from `docker run` to a ready service
(median of several starts) against the same export served from the project's own environment
on this machine, which is what the container adds to a start.

Run with `nox --session bench -- image`; needs a Docker engine (`sudo bash .ci/docker-engine`).
Figures go to stdout; nothing is asserted.
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from baked import bake, environment, free_port, package_of, run, wait_for

from tests.docker_engine import base_image

IMAGE = "mlops-template-serving-bench"
TAG = "bench"
STARTS = 5
# Where `make export` writes the champion, which the Dockerfile copies in.
EXPORT = "build/model"


def seconds_to_ready(command: list[str], url: str, **popen) -> float:
    """Start `command`, wait until `url` answers; the time it took."""
    start = time.perf_counter()
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    server = subprocess.Popen(command, **quiet, **popen)
    try:
        wait_for(url, server)
        return time.perf_counter() - start
    finally:
        server.terminate()
        server.wait(timeout=30)


def container_start(image: str) -> float:
    port = free_port()
    name = f"{IMAGE}-{port}"
    # `docker run` in the foreground: it ends, and the container is removed, when terminated.
    command = ["docker", "run", "--rm", "--name", name, "--network", "host",
               "--env", f"PORT={port}", image]  # fmt: skip
    try:
        return seconds_to_ready(command, f"http://127.0.0.1:{port}/ready")
    finally:
        subprocess.run(["docker", "rm", "--force", name], capture_output=True, check=False)


def host_start(project: Path) -> float:
    port = free_port()
    command = ["python", "-m", package_of(project), "serve", "--port", str(port)]
    env = environment(project, {"SERVING_MODEL": EXPORT, "SERVING_PREDICTION_LOG": "-"})
    return seconds_to_ready(command, f"http://127.0.0.1:{port}/ready", cwd=project, env=env)


def summary(times: list[float]) -> str:
    return (
        f"{statistics.median(times):5.2f} s (median of {len(times)}, "
        f"min {min(times):.2f} s, max {max(times):.2f} s)"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        try:
            base = base_image(Path(scratch))
        except pytest.fail.Exception as error:
            sys.exit(str(error))
        project = bake(scratch)
        run(project, "make", "setup")
        run(project, "make", "repro", "register", "promote", "card")
        start = time.perf_counter()
        run(project, "make", "image", f"BASE_IMAGE={base}", f"IMAGE={IMAGE}", f"TAG={TAG}",
            "DOCKER_BUILDKIT=0", "DOCKER_BUILD_FLAGS=--network host")  # fmt: skip
        build = time.perf_counter() - start
        image = f"{IMAGE}:{TAG}"
        size = run(project, "docker", "image", "inspect", "--format", "{{.Size}}", image)
        base_size = run(project, "docker", "image", "inspect", "--format", "{{.Size}}", base)
        # The first start of each reads files the later ones find in the page cache: not counted.
        container_start(image)
        host_start(project)
        # Taken in turns, so that other work on the machine weighs on both alike.
        in_container, on_host = [], []
        for _ in range(STARTS):
            in_container.append(container_start(image))
            on_host.append(host_start(project))
        run(project, "docker", "image", "rm", image)

    print(f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f} after")
    print(f"image build (make image, base cached): {build:6.1f} s")
    print(f"image size:     {int(size) / 1e6:6.0f} MB (its base {int(base_size) / 1e6:.0f} MB)")
    print(f"docker run to /ready:             {summary(in_container)}")
    print(f"same export served on the host:   {summary(on_host)}")


if __name__ == "__main__":
    sys.exit(main())
