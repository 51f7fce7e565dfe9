"""A Docker engine and a local base image, for building the serving image with no image registry.

The base is Debian bookworm made by debootstrap and imported into the engine once; later runs
reuse it. It carries this machine's CA bundle, so that the image build can reach the package
index through a TLS proxy that the machine trusts.
"""

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest

BASE_REPOSITORY = "mlops-template-base"
DEBOOTSTRAP = ["debootstrap", "--variant=minbase", "--include=python3,python3-venv", "bookworm"]
# Left out of the base, as slim images leave them out: nothing in an image built on it reads the
# packages debootstrap downloaded, apt's package lists (`apt-get update` fetches them again),
# documentation or translations: 140 of the 265 MB that debootstrap makes.
LEFT_OUT = [
    "var/cache/apt",
    "var/lib/apt/lists",
    "usr/share/doc",
    "usr/share/info",
    "usr/share/locale",
    "usr/share/man",
]
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
ENGINE_SCRIPT = Path(__file__).resolve().parents[1] / ".ci" / "docker-engine"


def docker(*args: str, check: bool = True, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(["docker", *args], capture_output=True, text=True, **kwargs)
    if check and result.returncode != 0:
        pytest.fail(f"docker {' '.join(args)} exited {result.returncode}:\n{result.stderr}")
    return result


def require_engine() -> None:
    if shutil.which("docker") is None or docker("info", check=False).returncode != 0:
        pytest.skip(f"no Docker engine answers; start one with `sudo bash {ENGINE_SCRIPT}`")


def base_image(scratch: Path) -> str:
    """The tag of a bookworm image with python3 and venv, built now if the engine lacks it."""
    ca_bundle = HOST_CA_BUNDLE.read_bytes() if HOST_CA_BUNDLE.exists() else b""
    # A new recipe or CA bundle makes a new tag, so a base built otherwise is never reused.
    recipe = json.dumps([DEBOOTSTRAP, LEFT_OUT]).encode()
    tag = f"{BASE_REPOSITORY}:bookworm-{hashlib.sha256(recipe + ca_bundle).hexdigest()[:12]}"
    if docker("image", "inspect", tag, check=False).returncode == 0:
        return tag
    if shutil.which("debootstrap") is None:
        pytest.fail(f"debootstrap is missing; `bash {ENGINE_SCRIPT}` installs it")
    rootfs = scratch / "rootfs"
    result = subprocess.run([*DEBOOTSTRAP, str(rootfs)], capture_output=True, text=True)
    if result.returncode != 0:
        pytest.fail(f"debootstrap failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
    for directory in LEFT_OUT:
        for entry in (rootfs / directory).iterdir():
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
    changes = []
    if ca_bundle:
        (rootfs / "etc/ssl/certs").mkdir(parents=True, exist_ok=True)
        (rootfs / "etc/ssl/certs/ca-certificates.crt").write_bytes(ca_bundle)
        changes = [
            f"--change=ENV {variable}=/etc/ssl/certs/ca-certificates.crt"
            for variable in ("SSL_CERT_FILE", "PIP_CERT")
        ]
    archive = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
    imported = subprocess.run(
        ["docker", "import", *changes, "-", tag], stdin=archive.stdout, capture_output=True
    )
    archive.wait()
    if imported.returncode != 0:
        pytest.fail(f"docker import failed:\n{imported.stderr.decode()}")
    shutil.rmtree(rootfs, ignore_errors=True)
    return tag
