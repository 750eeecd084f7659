"""The use cases (each service's app.py, aid's app package, housing's periodic expiry of holds
in its main.py) read and write through named
queries and stores, never SQL of their own: a rule then cannot hide in a query, and a query has
one name that its callers share (docs/architecture.md, "The layers"). The routes too."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.stack import REPO

USE_CASES = sorted(
    [REPO / "services/intake/app.py", REPO / "services/housing/app.py",
     REPO / "services/housing/main.py", *(REPO / "services/aid/app").glob("*.py")]
)  # fmt: skip
#: the HTTP routes of the three services, which read through named queries too
ROUTES = sorted(REPO.glob("services/*/api/*.py"))
STATEMENT = re.compile(r"\b(SELECT|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|WITH\s+\w+)\b")
#: the connection's methods that send SQL
SENDS_SQL = {"execute", "executemany", "fetch", "fetchrow", "fetchval", "cursor", "prepare",
             "copy_records_to_table", "copy_to_table", "copy_from_query"}  # fmt: skip


def _docstrings(tree: ast.Module) -> set[int]:
    """The ids of the docstring nodes, which may name a statement in words."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def sql_in(path: Path, root: Path = REPO) -> list[str]:
    """Where a module writes a SQL statement or sends one: ``path:line what``."""
    tree = ast.parse(path.read_text(), filename=str(path))
    docstrings, where = _docstrings(tree), []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                and id(node) not in docstrings and STATEMENT.search(node.value)):  # fmt: skip
            where.append(f"{path.relative_to(root)}:{node.lineno} a SQL statement")
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in SENDS_SQL):  # fmt: skip
            where.append(f"{path.relative_to(root)}:{node.lineno} .{node.func.attr}(...)")
    return where


def test_no_route_holds_or_sends_sql_of_its_own() -> None:
    offenders = [found for path in ROUTES for found in sql_in(path)]
    assert len(ROUTES) >= 20, ROUTES
    assert not offenders, "move these into a named query:\n" + "\n".join(offenders)


def test_the_use_cases_are_all_found() -> None:
    assert len(USE_CASES) >= 5, USE_CASES
    assert all(path.exists() for path in USE_CASES)


def test_no_use_case_module_holds_or_sends_sql_of_its_own() -> None:
    offenders = [found for path in USE_CASES for found in sql_in(path)]
    assert not offenders, "move these into a named query (queries.py, *_queries.py):\n" + "\n".join(
        offenders
    )


def test_the_check_finds_a_statement_and_a_call_that_sends_one(tmp_path: Path) -> None:
    module = tmp_path / "app.py"
    module.write_text(
        '"""SELECT in a docstring is words."""\n'
        "async def count(conn):\n"
        '    return await conn.fetchval("SELECT count(*) FROM cases")\n'
    )
    assert sorted(sql_in(module, tmp_path)) == [
        "app.py:3 .fetchval(...)",
        "app.py:3 a SQL statement",
    ]
