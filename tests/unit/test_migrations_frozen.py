"""Migrations are frozen files: a revision holds the DDL it ran, or calls a released step of
shared.schema_steps (frozen too: tests/unit/test_schema_steps.py), never an import of the live
DDL from the code, so that the migration history does not change when the code does."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.stack import REPO

REVISIONS = sorted(REPO.glob("services/*/migrations/versions/*.py"))
#: what a revision may import: Alembic, SQLAlchemy, the function that runs its SQL and the
#: released schema steps
ALLOWED = {
    "__future__": None,
    "alembic": None,
    "sqlalchemy": None,
    "shared.migrations": {"run_sql"},
    "shared.schema_steps": None,
}


def imports_of(path: Path) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            found.extend((node.module or "", alias.name) for alias in node.names)
        elif isinstance(node, ast.Import):
            found.extend((alias.name, "*") for alias in node.names)
    return found


def allowed(module: str, name: str) -> bool:
    root = module.split(".")[0]
    names = ALLOWED.get(
        module, ALLOWED.get(root, set()) if root in ("alembic", "sqlalchemy") else set()
    )
    return names is None or name in names


def test_every_service_has_its_revisions() -> None:
    services = {path.parts[-4] for path in REVISIONS}
    assert services == {"intake", "housing", "aid"}


@pytest.mark.parametrize("revision", REVISIONS, ids=lambda path: "/".join(path.parts[-4::3]))
def test_a_revision_imports_no_ddl_from_the_code(revision: Path) -> None:
    imported = [f"{module}.{name}" for module, name in imports_of(revision)]
    assert [name for name in imported if not allowed(*name.rsplit(".", 1))] == []
