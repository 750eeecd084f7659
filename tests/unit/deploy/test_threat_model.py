"""The threat model names, for every threat, the test that would fail without its mitigation:
each test it names must exist, or the document promises a proof nobody runs."""

from __future__ import annotations

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
THREAT_MODEL = REPO / "docs" / "threat-model.md"
#: `tests/x/test_y.py::test_z`, or `::test_z` continuing the file named just before it
REFERENCE = re.compile(r"`(tests/[\w/]+\.py)?(?:::(\w+))?`")


def functions_named_test_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.name.startswith("test_")
    }


def named_tests(text: str) -> list[tuple[str, str | None]]:
    """(file, test or None) for every reference, a bare ``::test`` taking the last file."""
    named: list[tuple[str, str | None]] = []
    last_file: str | None = None
    for match in REFERENCE.finditer(text):
        file, test = match.group(1), match.group(2)
        if file is None and test is None:
            continue
        if file is not None:
            last_file = file
        if last_file is not None:
            named.append((last_file, test))
    return named


def test_every_test_the_threat_model_names_exists() -> None:
    missing = []
    for file, test in named_tests(THREAT_MODEL.read_text()):
        path = REPO / file
        if not path.is_file():
            missing.append(file)
        elif test is not None and test not in functions_named_test_in(path):
            missing.append(f"{file}::{test}")
    assert missing == [], f"docs/threat-model.md names tests that do not exist: {missing}"


def test_a_reference_to_a_test_that_is_not_there_is_found() -> None:
    text = "`tests/unit/deploy/test_threat_model.py::test_that_was_never_written`"
    [(file, test)] = named_tests(text)
    assert test not in functions_named_test_in(REPO / file)
