"""What a set-up baked project says of its data and its task, read with its own code."""

import json
from dataclasses import dataclass
from pathlib import Path

from tests.baking import package_of, read_yaml
from tests.commands import project_python

# The description in schema.py, as JSON; run with the package's name.
DESCRIBE = """
import importlib, json, sys
data = importlib.import_module(f"{sys.argv[1]}.project.schema").DATA
json.dump(
    {
        "target": data.target.name,
        "classes": list(data.target.classes),
        "features": data.feature_names,
        "passthrough": data.passthrough,
        "identifiers": list(data.identifiers),
        "time": data.time,
        "categories": {f.name: list(f.values) for f in data.features if f.kind == "categorical"},
    },
    sys.stdout,
)
"""
# A CSV file's rows as a client sends them, as the project's smoke test sends one, as JSON; run
# with the package's name and the file.
REQUEST_ROWS = """
import importlib, json, sys
from pathlib import Path
table = importlib.import_module(f"{sys.argv[1]}.core.data").read_table(Path(sys.argv[2]))
request_row = importlib.import_module(f"{sys.argv[1]}.serving.smoke").request_row
json.dump([request_row(row) for _, row in table.iterrows()], sys.stdout)
"""


@dataclass(frozen=True)
class Description:
    kind: str
    target: str
    # Labels in class order; empty for a regression.
    classes: list
    features: list[str]
    # Kept beside predictions, never fed to the model.
    passthrough: list[str]
    identifiers: list[str]
    time: str | None
    # Each categorical feature's values.
    categories: dict[str, list[str]]


def run_json(project: Path, script: str, *arguments: str):
    result = project_python(project, "-c", script, package_of(project), *arguments)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def describe(project: Path) -> Description:
    """The project's task (params.yaml) and data description (schema.py)."""
    kind = read_yaml(project, "params.yaml")["task"]["kind"]
    return Description(kind=kind, **run_json(project, DESCRIBE))


def request_rows(project: Path, table: str | Path) -> list[dict]:
    """The rows of a CSV file in the project, as JSON-ready request bodies."""
    return run_json(project, REQUEST_ROWS, str(table))


def project_path(project: Path, name: str) -> Path:
    """A path that params.yaml names (`paths.<name>`), in the project."""
    return project / read_yaml(project, "params.yaml")["paths"][name]
