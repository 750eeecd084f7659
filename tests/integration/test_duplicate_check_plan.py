"""The duplicate check probes person_index by key whatever the planner believes of the tables.

A connection's prepared statements keep a generic plan, made once, from what the planner knew
then: on a fresh database, tables nobody has analysed yet. A plan that hashed the whole of
person_index for every arrival was cheap while the table was small and cost milliseconds per
arrival as it grew (measured: 3-11 ms at 12,000 entries, until autovacuum analysed it). The
generic plan is checked here on a fresh database, where that choice was made.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import uuid4

import asyncpg
import pytest

from tests.conftest import RunningServices
from tests.factories import arrival, person

pytestmark = pytest.mark.integration


@pytest.fixture
def service_names() -> tuple[str, ...]:
    return ("intake",)


def scans(plan: dict[str, Any]) -> list[tuple[str, str]]:
    """(node type, relation) of every node of a JSON plan that reads a table."""
    found = [(plan["Node Type"], plan["Relation Name"])] if "Relation Name" in plan else []
    for inner in plan.get("Plans", ()):
        found.extend(scans(inner))
    return found


def known(given: str) -> dict[str, Any]:
    return person(given=given, documents=[{"type": "foreign_passport", "number": f"75 {given}"}])


async def test_the_duplicate_check_on_a_fresh_database_probes_the_index_instead_of_reading_it_all(
    services: RunningServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = {"X-API-Key": services.partner_key}
    first = await services.intake.post(
        "/v1/arrivals", json=arrival(known("Анна")), headers={**headers, "Idempotency-Key": "a"}
    )
    assert first.status_code == 201, first.text
    # the statement and its arguments as the request sends them
    logged: list[tuple[str, tuple[Any, ...]]] = []
    original = asyncpg.Connection.fetchrow

    async def fetchrow(conn: asyncpg.Connection, query: str, *args: Any, **kw: Any) -> Any:
        logged.append((query, args))
        return await original(conn, query, *args, **kw)

    monkeypatch.setattr(asyncpg.Connection, "fetchrow", fetchrow)
    again = await services.intake.post(
        "/v1/arrivals",
        json=arrival(known("Анна"), known("Борис")),
        headers={**headers, "Idempotency-Key": str(uuid4())},
    )
    monkeypatch.undo()
    assert again.status_code == 201, again.text
    assert again.json()["possible_duplicates"], "the same passport again is a possible duplicate"
    sql, args = next((q, a) for q, a in logged if "person_index" in q)

    async with services.pool("intake").acquire() as conn, conn.transaction():
        # the plan a connection keeps once it stops planning per call: the generic one
        await conn.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        types = [
            await conn.fetchval("SELECT $1::oid::regtype::text", parameter.oid)
            for parameter in (await conn.prepare(sql)).get_parameters()
        ]
        values = [
            await conn.fetchval(f"SELECT quote_nullable($1::{kind})", value)
            for kind, value in zip(types, args, strict=True)
        ]
        await conn.execute(f"PREPARE admission ({', '.join(types)}) AS {sql}")
        plan = await conn.fetchval(f"EXPLAIN (FORMAT JSON) EXECUTE admission({', '.join(values)})")
        await conn.execute("DEALLOCATE admission")
    read = scans(json.loads(plan)[0]["Plan"])

    assert ("Index Scan", "person_index") in read, read
    assert [scan for scan in read if scan[0] == "Seq Scan"] == [], read


#: calls Postgres plans a prepared statement for before it may keep the generic plan
CUSTOM_PLANS_FIRST = 5


async def test_the_admission_is_planned_once_per_connection_not_again_for_every_arrival(
    services: RunningServices,
) -> None:
    # groups of one to four people: keys of every count, as a day of arrivals brings them
    headers = {"X-API-Key": services.partner_key}
    for index in range(24):
        members = [known(f"Анна{chr(0x430 + index)}{size}") for size in range(1 + index % 4)]
        answer = await services.intake.post(
            "/v1/arrivals",
            json=arrival(*members),
            headers={**headers, "Idempotency-Key": str(index)},
        )
        assert answer.status_code == 201, answer.text

    pool = services.pool("intake")
    # every connection but the relay's two, which it keeps: its own (LISTEN, checkpoints) and
    # the one its turns read on (shared/outbox.py)
    connections = [await pool.acquire(timeout=30) for _ in range(pool.get_max_size() - 2)]
    try:
        plans = [
            row
            for conn in connections
            for row in await conn.fetch(
                "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
                "WHERE statement LIKE 'WITH claimed AS (%person_index%'"
            )
        ]
    finally:
        for conn in connections:
            await pool.release(conn)

    assert plans, "the admission ran on the connections of the pool"
    # planned for its first calls on each connection, then its generic plan is kept
    assert all(row["custom_plans"] <= CUSTOM_PLANS_FIRST for row in plans), plans
    assert sum(row["generic_plans"] + row["custom_plans"] for row in plans) >= 24, plans
