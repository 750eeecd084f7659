"""Named reads for housing's API: a person's placement and its history, who is due out, who is
expected and staying at a shelter's desk, who runs a shelter, and the shelters there are. Plain
rows, in the order the answer shows them; the routes shape them."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

_DESK = """
SELECT p.person_id, p.status, u.name AS unit, p.bed_number, p.hold_until, p.checked_in_at,
       p.checked_in_at + make_interval(days => s.max_nights) AS stay_ends
FROM placements p JOIN units u USING (unit_id) JOIN shelters s ON s.shelter_id = p.shelter_id
WHERE p.shelter_id = $1 AND p.status IN ('held', 'checked_in')
ORDER BY p.hold_until NULLS LAST, p.checked_in_at, u.name, p.bed_number
"""


async def known_placement(conn: asyncpg.Connection, person_id: UUID) -> asyncpg.Record | None:
    """The person's placement row; a forgotten person (consent to housing withdrawn) looks as
    if never known, and one who departed before keeps only that."""
    row: asyncpg.Record | None = await conn.fetchrow(
        "SELECT * FROM placements WHERE person_id = $1 AND status <> 'forgotten'", person_id
    )
    return row


async def placement_history(conn: asyncpg.Connection, person_id: UUID) -> list[asyncpg.Record]:
    """Every step of the person's placements, oldest first, a move with the operator's note."""
    rows: list[asyncpg.Record] = await conn.fetch(
        """
        SELECT h.at, h.what, h.shelter_id, h.unit_id, h.bed_number,
               coalesce(n.reason, h.reason) AS reason
        FROM placement_history h LEFT JOIN move_notes n
             ON h.what = 'moved' AND n.person_id = h.person_id AND n.position = h.position
        WHERE h.person_id = $1 ORDER BY h.position, h.what
        """,
        person_id,
    )
    return rows


async def due_out(conn: asyncpg.Connection, by: datetime) -> list[asyncpg.Record]:
    """People checked in whose shelter's maximum stay ends by ``by``, longest staying first."""
    rows: list[asyncpg.Record] = await conn.fetch(
        """
        SELECT p.*, s.max_nights, s.name AS shelter_name FROM placements p
        JOIN shelters s USING (shelter_id)
        WHERE p.status = 'checked_in' AND s.max_nights IS NOT NULL
          AND p.checked_in_at + make_interval(days => s.max_nights) <= $1
        ORDER BY p.checked_in_at
        """,
        by,
    )
    return rows


async def at_the_desk(conn: asyncpg.Connection, shelter_id: UUID) -> list[asyncpg.Record]:
    """Who holds a place at the shelter or stays there, the soonest expected first."""
    rows: list[asyncpg.Record] = await conn.fetch(_DESK, shelter_id)
    return rows


async def runner_of(conn: asyncpg.Connection, shelter_id: UUID) -> str | None:
    """The partner that runs the shelter; None for an unknown shelter or one nobody runs."""
    runner: str | None = await conn.fetchval(
        "SELECT contact_partner_id FROM shelters WHERE shelter_id = $1", shelter_id
    )
    return runner


async def shelter_code_taken(conn: asyncpg.Connection, code: str) -> bool:
    return bool(await conn.fetchval("SELECT 1 FROM shelters WHERE code = $1", code))


async def shelter_ids(conn: asyncpg.Connection) -> list[UUID]:
    """Every shelter, in the order they opened."""
    rows = await conn.fetch("SELECT shelter_id FROM shelters ORDER BY opened_at, shelter_id")
    return [row["shelter_id"] for row in rows]
