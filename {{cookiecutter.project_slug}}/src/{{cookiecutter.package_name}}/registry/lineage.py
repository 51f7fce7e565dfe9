"""Facts that tie a model to the code, data and params it came from."""

import hashlib
import json
import os
import subprocess  # nosec B404  # for git only, with this module's arguments (_git)
from pathlib import Path

import yaml

DVC_LOCK = Path("dvc.lock")

# Each CI provider names its build id and URL differently.
_CI_BUILD_VARIABLES = {
    "GITHUB_RUN_ID": lambda env: (
        env["GITHUB_RUN_ID"],
        f"{env.get('GITHUB_SERVER_URL', '')}/{env.get('GITHUB_REPOSITORY', '')}"
        f"/actions/runs/{env['GITHUB_RUN_ID']}",
    ),
    "BUILD_BUILDID": lambda env: (
        env["BUILD_BUILDID"],
        f"{env.get('SYSTEM_COLLECTIONURI', '')}{env.get('SYSTEM_TEAMPROJECT', '')}"
        f"/_build/results?buildId={env['BUILD_BUILDID']}",
    ),
    "CI_PIPELINE_ID": lambda env: (env["CI_PIPELINE_ID"], env.get("CI_PIPELINE_URL", "")),
}


def _git(*args: str) -> str | None:
    try:
        # git from PATH, as a developer's shell finds it; no shell, arguments from this module.
        result = subprocess.run(  # nosec B603 B607
            ["git", *args], capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return result.stdout.strip()


def git_facts(outputs: list[Path]) -> dict[str, str]:
    """Return the commit, branch and whether tracked inputs differ from it.

    dvc.lock and the pipeline's outputs change during every repro, so they are not inputs.
    """
    commit = _git("rev-parse", "HEAD")
    if commit is None:
        return {"git_commit": "unknown"}
    excluded = [f":(exclude){path}" for path in [DVC_LOCK, *outputs]]
    changes = _git("status", "--porcelain", "--untracked-files=no", "--", ".", *excluded)
    return {
        "git_commit": commit,
        "git_branch": _git("rev-parse", "--abbrev-ref", "HEAD") or "unknown",
        "git_dirty": str(bool(changes)).lower(),
    }


def ci_facts(environ: dict[str, str] | None = None) -> dict[str, str]:
    """Return the CI build id and URL when running in a known CI provider."""
    env = os.environ if environ is None else environ
    for variable, describe in _CI_BUILD_VARIABLES.items():
        if env.get(variable):
            build_id, url = describe(env)
            return {"ci_build_id": build_id, "ci_build_url": url}
    return {}


def file_md5(path: Path) -> str:
    """Return the MD5 of a file, which is how DVC 3 names a file in its cache."""
    # A content fingerprint that must match DVC's, not a security control: saying so keeps
    # hosts that forbid MD5 for security (FIPS mode) from refusing it.
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def dvc_file_hash(dvc_file: Path) -> str:
    """Return the hash recorded in a `.dvc` file for its single output."""
    outs = yaml.safe_load(dvc_file.read_text())["outs"]
    return outs[0]["md5"]


def dvc_lock_stages(lock_file: Path = DVC_LOCK) -> dict[str, dict[str, dict[str, str]]]:
    """Return each stage's recorded hashes: {stage: {"deps": {path: md5}, "outs": {...}}}."""
    if not lock_file.exists():
        return {}
    stages = yaml.safe_load(lock_file.read_text()).get("stages", {})
    return {
        name: {
            kind: {entry["path"]: entry["md5"] for entry in stage.get(kind, []) if "md5" in entry}
            for kind in ("deps", "outs")
        }
        for name, stage in stages.items()
    }


def dvc_lock_hashes(lock_file: Path = DVC_LOCK) -> dict[str, str]:
    """Return the hash of every dependency and output recorded in dvc.lock, by path.

    Where a stage's output is another's dependency, the output's hash is the current one: the
    dependent stage may not have run on it yet.
    """
    stages = dvc_lock_stages(lock_file).values()
    deps = {path: md5 for stage in stages for path, md5 in stage["deps"].items()}
    return deps | {path: md5 for stage in stages for path, md5 in stage["outs"].items()}


def params_digest(params: dict) -> str:
    """Return a short digest that changes whenever any parameter changes."""
    canonical = json.dumps(params, sort_keys=True, default=str).encode()
    return hashlib.sha256(canonical).hexdigest()[:16]
