"""Read the generated CI files of each provider as jobs of make commands and path filters.

Each provider spells jobs differently; these functions reduce them to one shape so tests can
compare providers and run what CI runs.
"""

import re
from pathlib import Path

import yaml

# Azure's step template that runs one make target; other templates and tasks are the
# provider's own plumbing (checkout, caches, registry login).
AZURE_MAKE_TEMPLATE = "steps/make.yml"
# A GitHub step that only sets variables for the job's later steps (what GitLab and Azure provide
# by themselves, such as when the job started) is plumbing too.
GITHUB_JOB_ENVIRONMENT = '"$GITHUB_ENV"'
GITLAB_RESERVED = {"workflow", "stages", "variables", "default", "include", "image", "services"}
# An argument whose value comes from the provider (`$VAR`, `${{ }}`, `$(...)`) is not compared.
PROVIDER_VALUE = re.compile(r"^[A-Z_]+=.*\$")

Jobs = dict[str, list[str]]


def canonical_command(command: str) -> str:
    words = [word for word in command.split() if not PROVIDER_VALUE.match(word)]
    return " ".join(words)


def canonical_job(name: str) -> str:
    return name.replace("_", "-").removeprefix("build-")


def github_jobs(project: Path) -> Jobs:
    jobs = {}
    for workflow in sorted((project / ".github/workflows").glob("*.yml")):
        for name, job in yaml.safe_load(workflow.read_text())["jobs"].items():
            if "steps" in job:
                commands = [
                    step["run"]
                    for step in job["steps"]
                    if "run" in step and GITHUB_JOB_ENVIRONMENT not in step["run"]
                ]
                jobs[f"{workflow.stem}/{canonical_job(name)}"] = commands
    return jobs


def gitlab_jobs(project: Path) -> Jobs:
    config = yaml.safe_load((project / ".gitlab-ci.yml").read_text())
    return {
        canonical_job(name): job["script"]
        for name, job in config.items()
        if name not in GITLAB_RESERVED and not name.startswith(".")
    }


def _azure_steps(steps: list[dict]) -> list[str]:
    commands = []
    for step in steps:
        if step.get("template", "").endswith(AZURE_MAKE_TEMPLATE):
            commands.append(f"make {step['parameters']['target']}")
        elif "script" in step:
            commands.append(step["script"])
    return commands


def azure_pipeline_jobs(project: Path) -> dict[Path, Jobs]:
    """Each pipeline file's jobs."""
    pipelines = {}
    for pipeline in [project / "azure-pipelines.yml", *sorted((project / ".azure").glob("*.yml"))]:
        config = yaml.safe_load(pipeline.read_text())
        stage_jobs = [job for stage in config.get("stages", []) for job in stage["jobs"]]
        jobs = pipelines[pipeline] = {}
        for job in config.get("jobs", []) + stage_jobs:
            name = job.get("job") or job["deployment"]
            steps = job.get("steps") or job["strategy"]["runOnce"]["deploy"]["steps"]
            jobs[canonical_job(name)] = _azure_steps(steps)
    return pipelines


def azure_jobs(project: Path) -> Jobs:
    return {
        f"{'ci' if pipeline.name == 'azure-pipelines.yml' else pipeline.stem}/{name}": commands
        for pipeline, jobs in azure_pipeline_jobs(project).items()
        for name, commands in jobs.items()
    }


def github_path_filters(project: Path) -> dict[str, list[str]]:
    """Which paths start each workflow on a push."""
    filters = {}
    for workflow in sorted((project / ".github/workflows").glob("*.yml")):
        # PyYAML reads the `on:` key as the boolean True.
        triggers = yaml.safe_load(workflow.read_text())[True]
        paths = (triggers.get("push") or {}).get("paths")
        if paths:
            filters[workflow.stem] = paths
    return filters


def gitlab_path_filters(project: Path) -> dict[str, list[str]]:
    """Which paths start each job on the default branch."""
    config = yaml.safe_load((project / ".gitlab-ci.yml").read_text())
    filters = {}
    for name, job in config.items():
        if name in GITLAB_RESERVED or name.startswith(".") or not isinstance(job, dict):
            continue
        paths = [path for rule in job.get("rules", []) for path in rule.get("changes", [])]
        if paths:
            filters[canonical_job(name)] = paths
    return filters


def azure_path_filters(project: Path) -> dict[str, list[str]]:
    filters = {}
    for pipeline in sorted((project / ".azure").glob("*.yml")):
        trigger = yaml.safe_load(pipeline.read_text()).get("trigger")
        if isinstance(trigger, dict) and "paths" in trigger:
            filters[pipeline.stem] = trigger["paths"]["include"]
    return filters
