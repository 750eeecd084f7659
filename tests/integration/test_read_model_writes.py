"""A read model's rows are updated and deleted through their key's index, however many rows
the table holds.

A write's rows come to Postgres as one jsonb array (shared.projection.table_write), whose
length the planner never sees: it assumes 100 rows, and against a table of a few thousand a
hash join over a scan of the whole table looked cheaper than 100 probes of the key. Each of
housing's updates of a unit then read every unit in town, a cost that grew with the town: at
100,000 people, 200 pages and 1.9 ms per update, a quarter of the week's statement time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from uuid import UUID, uuid4

import asyncpg
import pytest

from shared.folds import Table
from shared.projection import WriteKind, table_write
from shared.statement import Write, compose
from tests.integration.test_free_places_read import rows_scanned

pytestmark = pytest.mark.integration
ROOMS = 20_000


@dataclass(frozen=True)
class Room:
    room_id: UUID
    beds: int


TABLE = Table("rooms", Room, key=("room_id",))


async def planned_and_done(conn: asyncpg.Connection, kind: WriteKind, room: Room) -> int:
    """The rows of ``rooms`` the write of ``room`` read, in the plan a connection keeps for
    the statement (the generic one: asyncpg prepares each statement once), and done."""
    statement, args = compose([("w0", table_write(TABLE, kind, [[room.room_id, room.beds]]))],
                              Write("SELECT 1"))  # fmt: skip
    rows = args[0].replace("'", "''")
    await conn.execute(f"PREPARE write_{kind} AS {statement}")
    await conn.execute("SET plan_cache_mode = force_generic_plan")
    plan = json.loads(
        await conn.fetchval(f"EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE write_{kind}('{rows}')")
    )
    return rows_scanned(plan[0]["Plan"]).get("rooms", 0)


async def test_an_update_and_a_delete_probe_the_key_of_a_table_of_twenty_thousand_rows(
    databases: dict[str, str],
) -> None:
    conn = await asyncpg.connect(databases["housing"])
    try:
        await conn.execute("CREATE TABLE rooms (room_id uuid PRIMARY KEY, beds int NOT NULL)")
        rooms = [(uuid4(), 2) for _ in range(ROOMS)]
        await conn.copy_records_to_table("rooms", records=rooms)
        await conn.execute("ANALYZE rooms")
        updated, deleted = rooms[7][0], rooms[11][0]

        assert await planned_and_done(conn, "update", Room(updated, 5)) <= 10
        assert await planned_and_done(conn, "delete", Room(deleted, 2)) <= 10

        beds = dict(await conn.fetch("SELECT room_id, beds FROM rooms"))
        assert beds[updated] == 5 and deleted not in beds
        assert len(beds) == ROOMS - 1 and sum(beds.values()) == 2 * (ROOMS - 2) + 5
    finally:
        await conn.close()
