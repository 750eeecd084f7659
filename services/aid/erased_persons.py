"""The persons aid knows were erased, as a table of their ids and when, nothing more: kept
outside the event store, which is never rewritten (services/aid/app/erased.py says why aid
needs it)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from uuid import UUID

import asyncpg


async def remember_erased(conn: asyncpg.Connection, person_id: UUID, at: datetime) -> None:
    await conn.execute(
        "INSERT INTO erased_persons (person_id, erased_at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        person_id, at,
    )  # fmt: skip


async def erased_among(conn: asyncpg.Connection, person_ids: Collection[UUID]) -> set[UUID]:
    """Of ``person_ids``, those erased."""
    rows = await conn.fetch(
        "SELECT person_id FROM erased_persons WHERE person_id = ANY($1::uuid[])", list(person_ids)
    )
    return {row["person_id"] for row in rows}
