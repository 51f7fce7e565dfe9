"""bandit on the generated project's package: no finding at any severity, and every finding the
code silences (`# nosec <id>`) names its rule beside a reason."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.baking import bake_into

BANDIT = Path(sys.executable).with_name("bandit")
# A silenced finding names its rule, so that a new finding on the same line still reports.
NOSEC = re.compile(r"#\s*nosec\b(?P<rules>[^#]*)(?:#\s*(?P<reason>.*))?")
RULE_ID = re.compile(r"\bB\d{3}\b")


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Path:
    return bake_into(tmp_path_factory.mktemp("bandit")) / "src"


def test_bandit_finds_nothing(package):
    result = subprocess.run(
        [str(BANDIT), "--recursive", "--quiet", "--format", "json", str(package)],
        capture_output=True,
        text=True,
    )
    report = json.loads(result.stdout)
    assert report["metrics"]["_totals"]["loc"] > 0, "bandit scanned no code"
    findings = [
        f"{issue['filename']}:{issue['line_number']} {issue['test_id']} {issue['issue_text']}"
        for issue in report["results"]
    ]
    assert not findings, "\n".join(findings)
    assert result.returncode == 0, result.stderr


def test_every_silenced_finding_names_its_rule_and_a_reason(package):
    unexplained = []
    for path in sorted(package.rglob("*.py")):
        lines = path.read_text().splitlines()
        for number, line in enumerate(lines, start=1):
            found = NOSEC.search(line)
            if found is None:
                continue
            # The reason is beside the rule, or in the comment line just above the statement.
            above = lines[number - 2].strip() if number > 1 else ""
            explained = found["reason"] or above.startswith("#")
            if not RULE_ID.search(found["rules"]) or not explained:
                unexplained.append(f"{path.relative_to(package)}:{number}: {line.strip()}")
    assert not unexplained, "\n".join(unexplained)
