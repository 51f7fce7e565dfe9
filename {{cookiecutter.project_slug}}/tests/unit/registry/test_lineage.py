import hashlib

from {{ cookiecutter.package_name }}.registry import lineage


def test_github_build_facts():
    env = {
        "GITHUB_RUN_ID": "42",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_REPOSITORY": "o/r",
    }
    assert lineage.ci_facts(env) == {
        "ci_build_id": "42",
        "ci_build_url": "https://github.com/o/r/actions/runs/42",
    }


def test_azure_build_facts():
    env = {
        "BUILD_BUILDID": "7",
        "SYSTEM_COLLECTIONURI": "https://dev.azure.com/org/",
        "SYSTEM_TEAMPROJECT": "p",
    }
    assert (
        lineage.ci_facts(env)["ci_build_url"]
        == "https://dev.azure.com/org/p/_build/results?buildId=7"
    )


def test_gitlab_build_facts():
    env = {"CI_PIPELINE_ID": "9", "CI_PIPELINE_URL": "https://gitlab.example/p/-/pipelines/9"}
    assert lineage.ci_facts(env) == {
        "ci_build_id": "9",
        "ci_build_url": "https://gitlab.example/p/-/pipelines/9",
    }


def test_no_ci_gives_no_facts():
    assert lineage.ci_facts({}) == {}


def test_file_md5_matches_hashlib(tmp_path):
    path = tmp_path / "data.csv"
    path.write_bytes(b"a,b\n1,2\n")
    assert lineage.file_md5(path) == hashlib.md5(b"a,b\n1,2\n").hexdigest()


def test_dvc_lock_hashes_cover_deps_and_outs(tmp_path):
    lock = tmp_path / "dvc.lock"
    lock.write_text(
        "schema: '2.0'\n"
        "stages:\n"
        "  train:\n"
        "    cmd: python -m pkg train\n"
        "    deps:\n    - path: data/train.csv\n      md5: aaa\n      size: 1\n"
        "    params:\n      params.yaml:\n        train.C: 1.0\n"
        "    outs:\n    - path: models/model\n      md5: bbb.dir\n      size: 2\n"
    )
    assert lineage.dvc_lock_hashes(lock) == {"data/train.csv": "aaa", "models/model": "bbb.dir"}


def test_the_params_digest_follows_every_value():
    first = lineage.params_digest({"train": {"C": 1.0}})
    assert first == lineage.params_digest({"train": {"C": 1.0}})
    assert first != lineage.params_digest({"train": {"C": 2.0}})
