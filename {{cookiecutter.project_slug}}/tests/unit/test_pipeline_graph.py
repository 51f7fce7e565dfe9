"""dvc.yaml's code deps are the modules each stage runs: none missing (an edit there would leave
a stale model), none extra (an edit there would rerun a stage for nothing)."""

import ast
import subprocess
from pathlib import Path

import pytest
import yaml

PROJECT = Path(__file__).resolve().parents[2]
SOURCE = PROJECT / "src"
PACKAGE = "{{ cookiecutter.package_name }}"
STAGES = yaml.safe_load((PROJECT / "dvc.yaml").read_text())["stages"]


def module_file(module: str) -> Path | None:
    relative = Path(*module.split("."))
    for candidate in (SOURCE / relative.with_suffix(".py"), SOURCE / relative / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def imported_modules(path: Path) -> set[str]:
    """The package's modules that a file imports anywhere in it, functions included."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.split(".")[0] == PACKAGE}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == PACKAGE:
            found.add(node.module)
            # `from package import module` imports a module, not a name.
            found |= {
                f"{node.module}.{alias.name}"
                for alias in node.names
                if module_file(f"{node.module}.{alias.name}")
            }
    return found


def code_run_by(module: str) -> set[str]:
    """Every file of the package a module imports, directly or not. Package `__init__` files
    are left out: they hold no code (a test below holds them to that)."""
    seen: set[Path] = set()
    pending = [module]
    while pending:
        path = module_file(pending.pop())
        if path is None or path in seen:
            continue
        seen.add(path)
        pending += imported_modules(path)
    return {str(path.relative_to(PROJECT)) for path in seen if path.name != "__init__.py"}


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_a_stage_depends_on_exactly_the_code_it_runs(stage):
    declared = {dep for dep in STAGES[stage]["deps"] if dep.startswith("src/")}
    needed = code_run_by(f"{PACKAGE}.pipeline.{stage}")
    assert sorted(needed - declared) == [], f"add these to stage {stage}'s deps in dvc.yaml"
    assert sorted(declared - needed) == [], f"stage {stage} never imports these deps in dvc.yaml"


def test_no_module_imports_a_stage():
    """Stages are what DVC runs, through the CLI by name; what a stage shares with other code or
    another stage lives in a library module, which the stage's deps then name."""
    importers = sorted(
        f"{path.relative_to(PROJECT)} imports {module}"
        for path in (SOURCE / PACKAGE).rglob("*.py")
        for module in imported_modules(path)
        if module.startswith(f"{PACKAGE}.pipeline.")
    )
    assert importers == [], "move what these import into a library module"


def test_package_init_files_hold_no_code():
    for init in (SOURCE / PACKAGE).rglob("__init__.py"):
        statements = ast.parse(init.read_text()).body
        code = [node for node in statements if not isinstance(node, ast.Expr)]
        assert code == [], f"{init.relative_to(PROJECT)}: move code out of __init__.py"


def test_git_ignores_every_cached_output():
    paths = yaml.safe_load((PROJECT / "params.yaml").read_text())["paths"]
    cached = [
        next(iter(out)) if isinstance(out, dict) else out
        for stage in STAGES.values()
        for out in stage.get("outs", [])
        if not (isinstance(out, dict) and next(iter(out.values())).get("cache") is False)
    ]
    resolved = [out.replace("${paths.", "").rstrip("}") for out in cached]
    outputs = [paths[name] for name in resolved]
    assert outputs, "dvc.yaml declares no cached output"
    result = subprocess.run(
        ["git", "check-ignore", "--no-index", "--verbose", *outputs],
        cwd=PROJECT,
        capture_output=True,
        text=True,
    )
    ignored = {line.split("\t")[1] for line in result.stdout.splitlines()}
    assert sorted(set(outputs) - ignored) == [], "add these to .gitignore"
