"""The generated CI files: valid for their provider, equivalent across providers, filtered right."""

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from wcmatch.glob import GLOBSTAR, globmatch

from tests import ci_files
from tests.baking import bake_into, package_of, read_yaml
from tests.commands import git, require_tool
from tests.processes import project_environment

SCHEMAS = {
    "github": (["vendor.github-workflows"], [".github/workflows/*.yml"]),
    "gitlab": (["vendor.gitlab-ci"], [".gitlab-ci.yml"]),
    "azure": (
        ["vendor.azure-pipelines", "--regex-variant", "nonunicode"],
        ["azure-pipelines.yml", ".azure/*.yml", ".azure/steps/*.yml"],
    ),
}
JOBS = {
    "github": ci_files.github_jobs,
    "gitlab": ci_files.gitlab_jobs,
    "azure": ci_files.azure_jobs,
}
PATH_FILTERS = {
    "github": (ci_files.github_path_filters, "train", "deploy"),
    "gitlab": (ci_files.gitlab_path_filters, "reproduce", "image"),
    "azure": (ci_files.azure_path_filters, "train", "deploy"),
}
# What retrains besides the files the stages depend on: the parameters, the pipeline with its
# lock, the locked libraries, and any table's DVC file (the sample's is written at set-up).
PIPELINE_FILES = ["params.yaml", "dvc.yaml", "dvc.lock", "uv.lock", "data/raw/customers.csv.dvc"]
SERVING_CODE = ["src/my_ml_project/serving/app.py", "Dockerfile"]


@pytest.fixture(scope="module", params=SCHEMAS.keys())
def ci_project(request, tmp_path_factory) -> tuple[str, Path]:
    provider = request.param
    return provider, bake_into(tmp_path_factory.mktemp(provider), ci_provider=provider)


def test_ci_files_match_their_published_schema(ci_project):
    provider, project = ci_project
    schema, patterns = SCHEMAS[provider]
    files = sorted(str(path) for pattern in patterns for path in project.glob(pattern))
    assert files
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", *schema, *files],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_github_workflows_pass_actionlint(tmp_path):
    project = bake_into(tmp_path, ci_provider="github")
    result = subprocess.run(["actionlint"], cwd=project, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


# A third-party action runs with the job's token and secrets: pinned to a commit, never a tag
# that can move, with the release it is in the comment Dependabot keeps current.
PINNED_ACTION = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$")


def test_github_workflows_pass_zizmor(tmp_path):
    """zizmor's offline audits find nothing; the one finding ignored in place says why beside it."""
    project = bake_into(tmp_path, ci_provider="github")
    zizmor = Path(sys.executable).with_name("zizmor")
    result = subprocess.run(
        [str(zizmor), "--offline", "--format", "plain", ".github"],
        cwd=project,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for workflow in sorted((project / ".github/workflows").glob("*.yml")):
        for line in workflow.read_text().splitlines():
            if "zizmor: ignore[" in line:
                assert line.strip().startswith(("uses:", "- uses:")), (workflow.name, line)


def uses_lines(project: Path) -> list[str]:
    lines = []
    for workflow in sorted((project / ".github/workflows").glob("*.yml")):
        for line in workflow.read_text().splitlines():
            if re.match(r"^\s*(- )?uses: ", line):
                lines.append(line.split("uses: ", 1)[1])
    return lines


def test_github_actions_are_pinned_by_commit_and_bumped_by_dependabot(tmp_path):
    project = bake_into(tmp_path, ci_provider="github")
    actions = [use for use in uses_lines(project) if not use.startswith("./")]
    assert actions
    assert [use for use in actions if not PINNED_ACTION.match(use)] == []
    dependabot = yaml.safe_load((project / ".github/dependabot.yml").read_text())
    ecosystems = {update["package-ecosystem"] for update in dependabot["updates"]}
    assert "github-actions" in ecosystems


def test_github_checkouts_keep_no_credentials_and_writers_run_in_environments(tmp_path):
    project = bake_into(tmp_path, ci_provider="github")
    for workflow in sorted((project / ".github/workflows").glob("*.yml")):
        config = yaml.safe_load(workflow.read_text())
        # Secrets only in jobs (or their steps), never for the whole workflow.
        assert "secrets." not in yaml.safe_dump(config.get("env", {})), workflow.name
        assert config["permissions"] == {}, workflow.name
        for name, job in config["jobs"].items():
            assert job.get("secrets") != "inherit", (workflow.name, name)
            assert "permissions" in job, (workflow.name, name)
            for step in job.get("steps", []):
                if step.get("uses", "").startswith("actions/checkout@"):
                    assert step["with"]["persist-credentials"] is False, (workflow.name, name)
            writes = re.search(r"secrets\.(MLFLOW|DVC_REMOTE_(ACCESS|SECRET)|REGISTRY)", str(job))
            if writes:
                assert job.get("environment"), (workflow.name, name, writes.group())


@pytest.mark.parametrize("provider", ["gitlab", "azure", "none"])
def test_only_github_projects_get_a_dependabot_config(tmp_path, provider):
    project = bake_into(tmp_path, ci_provider=provider)
    assert not (project / ".github").exists()


def test_every_job_step_calls_a_make_target(ci_project):
    provider, project = ci_project
    for job, commands in JOBS[provider](project).items():
        assert commands, f"{job} runs nothing"
        assert all(command.startswith("make ") for command in commands), (job, commands)


def test_every_provider_runs_the_same_jobs(tmp_path):
    jobs = {}
    for provider in JOBS:
        project = bake_into(tmp_path / provider, ci_provider=provider)
        jobs[provider] = {
            (job.rpartition("/")[2], tuple(map(ci_files.canonical_command, commands)))
            for job, commands in JOBS[provider](project).items()
        }
    # Each parser found the jobs, every one of which runs something: equal because empty fails.
    assert all(jobs.values())
    assert all(commands for _, commands in jobs["github"])
    assert jobs["github"] == jobs["gitlab"] == jobs["azure"]


def test_each_github_job_that_reports_notes_when_it_started(tmp_path):
    """The report states the CI job's wall time from when the job started (cost.py): GitLab and
    Azure say so by themselves, a GitHub job notes it in its first step."""
    project = bake_into(tmp_path, ci_provider="github")
    cost = (project / "src" / package_of(project) / "reporting/cost.py").read_text()
    assert '"JOB_STARTED_AT"' in cost
    reporting = 0
    for workflow in sorted((project / ".github/workflows").glob("*.yml")):
        for name, job in yaml.safe_load(workflow.read_text())["jobs"].items():
            runs = [step.get("run", "") for step in job.get("steps", [])]
            if "make report" in runs:
                reporting += 1
                assert runs[0].startswith('echo "JOB_STARTED_AT=$(date -u'), (workflow.name, name)
                assert runs[0].endswith(ci_files.GITHUB_JOB_ENVIRONMENT), (workflow.name, name)
    assert reporting, "no GitHub job runs `make report`"


def selected(filters: dict[str, list[str]], path: str) -> set[str]:
    return {name for name, patterns in filters.items() if globmatch(path, patterns, flags=GLOBSTAR)}


def served_modules(project: Path) -> set[str]:
    """The package's modules the service runs: its app and what they import when loaded,
    transitively. Imports inside functions are left out: they load what `make serve` and
    `make export` need of the pipeline's libraries, which the image does not install."""
    package = project / "src" / package_of(project)
    todo, found = [package / "serving/app.py"], set()
    while todo:
        module = todo.pop()
        found.add(module)
        for node in ast.parse(module.read_text()).body:
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(package.name):
                parts = node.module.split(".")[1:]
                for name in [parts, *([*parts, alias.name] for alias in node.names)]:
                    path = package.joinpath(*name).with_suffix(".py")
                    if name and path.exists() and path not in found:
                        todo.append(path)
    return {str(path.relative_to(project)) for path in found}


def test_a_change_to_what_the_service_runs_retrains_or_deploys(ci_project):
    provider, project = ci_project
    read_filters, training, serving = PATH_FILTERS[provider]
    filters = read_filters(project)
    modules = served_modules(project)
    assert f"src/{package_of(project)}/core/tasks.py" in modules
    assert [
        path for path in sorted(modules) if not {training, serving} & selected(filters, path)
    ] == []


def test_serving_code_alone_does_not_start_training(ci_project):
    provider, project = ci_project
    read_filters, training, serving = PATH_FILTERS[provider]
    filters = read_filters(project)
    for path in SERVING_CODE:
        assert training not in selected(filters, path), path
        assert serving in selected(filters, path), path


def training_inputs(project: Path) -> set[str]:
    """The files dvc.yaml's stages depend on (not their data, which DVC tracks), and the above."""
    stages = read_yaml(project, "dvc.yaml")["stages"]
    deps = {dep for stage in stages.values() for dep in stage["deps"] if not dep.startswith("${")}
    return deps | set(PIPELINE_FILES)


def test_training_starts_on_the_pipelines_inputs_and_nothing_else(ci_project):
    """The filters agree with dvc.yaml both ways: a change to a stage's dependency retrains, a
    change to anything else does not. A package's __init__.py, which holds its docstring, may go
    either way."""
    provider, project = ci_project
    read_filters, training, _ = PATH_FILTERS[provider]
    filters = read_filters(project)
    inputs = training_inputs(project)
    for path in sorted(inputs):
        assert training in selected(filters, path), path
    others = [
        str(path.relative_to(project))
        for path in project.rglob("*")
        if path.is_file() and ".git" not in path.parts and path.name != "__init__.py"
    ]
    starting = [
        path for path in others if path not in inputs and training in selected(filters, path)
    ]
    assert starting == []


# The jobs a merge request runs; gitlab-ci-local runs them on this machine's shell.
GITLAB_LOCAL_JOBS = ["lint", "unit", "reproduce"]
# A copy of the pipeline without the jobs' default image, which would need a registry.
HOST_PIPELINE = ".gitlab-ci-host.yml"


def host_pipeline(project: Path) -> None:
    config = yaml.safe_load((project / ".gitlab-ci.yml").read_text())
    del config["default"]["image"]
    (project / HOST_PIPELINE).write_text(yaml.safe_dump(config, sort_keys=False))


def as_if_main_had_nothing(project: Path) -> None:
    """An origin whose main is an empty commit: every file is a change, so `changes:` rules hold."""
    git(project, "remote", "add", "origin", "https://gitlab.example.com/team/project.git")
    empty_tree = git(project, "hash-object", "-w", "-t", "tree", "/dev/null").strip()
    empty = git(project, "commit-tree", empty_tree, "-m", "empty").strip()
    git(project, "update-ref", "refs/remotes/origin/main", empty)
    git(project, "symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main")


@pytest.mark.slow
def test_a_merge_request_pipeline_runs_on_gitlab_ci_local(tmp_path):
    """The generated GitLab jobs of a merge request pass as gitlab-ci-local runs them.

    A merge request from an unprotected branch gets no protected variable, so the report is
    written but not posted, and the job says why. Not checked offline: the jobs' image, the
    docker-in-docker service, the registry login, protected environments and the release jobs.
    """
    require_tool("gitlab-ci-local", "it runs the generated GitLab pipeline's jobs")
    project = bake_into(tmp_path, ci_provider="gitlab")
    host_pipeline(project)
    as_if_main_had_nothing(project)
    merge_request = ["CI_PIPELINE_SOURCE=merge_request_event", "CI_MERGE_REQUEST_IID=7",
                     "CI_MERGE_REQUEST_TARGET_BRANCH_NAME=main"]  # fmt: skip
    result = subprocess.run(
        ["gitlab-ci-local", "--file", HOST_PIPELINE, "--shell-executor-no-image",
         *(f"--variable={variable}" for variable in merge_request), *GITLAB_LOCAL_JOBS],
        cwd=project,
        capture_output=True,
        text=True,
        env=project_environment(),
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-3000:]
    for job in GITLAB_LOCAL_JOBS:
        assert re.search(rf"PASS\s+{job}\b", result.stdout), job
    # Both suites ran, and the team stack's tests found PostgreSQL's server binaries (the job
    # installs them where its image lacks them); pytest's -ra would list the skip with its reason.
    assert len(re.findall(r"=+ \d+ passed[^=]* =+", result.stdout)) == 2  # unit, integration
    assert "PostgreSQL's server binaries" not in result.stdout
    assert "GITLAB_TOKEN is not set" in result.stdout


# What ships a promoted champion, in each provider's words.
GITHUB_DEPLOY_WORKFLOW = "./.github/workflows/deploy.yml"
GITLAB_SHIPPING_JOBS = ["build-image", "staging", "production"]


def test_every_github_workflow_that_promotes_then_deploys(tmp_path):
    project = bake_into(tmp_path, ci_provider="github")
    promoting = 0
    for workflow in sorted((project / ".github/workflows").glob("*.yml")):
        jobs = yaml.safe_load(workflow.read_text())["jobs"]
        if "promote" in jobs:
            promoting += 1
            deploys = [job for job in jobs.values() if job.get("uses") == GITHUB_DEPLOY_WORKFLOW]
            assert [job["needs"] for job in deploys] == ["promote"], workflow.name
    # train.yml after a change, drift.yml after the scheduled check's retraining.
    assert promoting == 2


def test_the_azure_deploy_pipeline_follows_every_pipeline_that_promotes(tmp_path):
    project = bake_into(tmp_path, ci_provider="azure")
    promoting = {
        f"{project.name}-{pipeline.stem}"
        for pipeline, jobs in ci_files.azure_pipeline_jobs(project).items()
        if "promote" in jobs
    }
    deploy = yaml.safe_load((project / ".azure/deploy.yml").read_text())
    followed = {resource["source"] for resource in deploy["resources"]["pipelines"]}
    assert promoting == {f"{project.name}-train", f"{project.name}-drift"}
    assert followed == promoting


@pytest.mark.slow
def test_the_scheduled_gitlab_pipeline_ships_what_it_promotes(tmp_path):
    """gitlab-ci-local lists the jobs a schedule starts: the drift check, the manual promotion
    and, after it, the image and the releases, production behind its own approval."""
    require_tool("gitlab-ci-local", "it reads the generated GitLab pipeline's rules")
    project = bake_into(tmp_path, ci_provider="gitlab")
    as_if_main_had_nothing(project)
    result = subprocess.run(
        ["gitlab-ci-local", "--list-json", "--variable=CI_PIPELINE_SOURCE=schedule"],
        cwd=project,
        capture_output=True,
        text=True,
        env=project_environment(),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    listed = json.loads(result.stdout[result.stdout.index("[") :])
    jobs = {job["name"]: job for job in listed if job["when"] != "never"}
    assert sorted(jobs) == sorted(["retrain-if-due", "promote", *GITLAB_SHIPPING_JOBS])
    assert jobs["promote"]["when"] == jobs["production"]["when"] == "manual"
    assert [need["job"] for need in jobs["build-image"]["needs"]] == ["promote"]
