"""Named reads of one person's records that intake's use cases decide on: the sealed details a
correction starts from, and the records merged into a person, which go with their erasure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

import asyncpg


@dataclass(frozen=True)
class SealedDetails:
    """A person's details as the vault sealed them, and the date their arrival was registered
    for (a corrected birth date may not come after it)."""

    sealed: str
    arrival_date: date


async def sealed_details(conn: asyncpg.Connection, person_id: UUID) -> SealedDetails | None:
    """None when intake holds no details of the person (unknown, or erased)."""
    row = await conn.fetchrow(
        """
        SELECT d.sealed, c.arrival_date FROM person_details d JOIN cases c USING (arrival_id)
        WHERE d.person_id = $1
        """,
        person_id,
    )
    return None if row is None else SealedDetails(row["sealed"], row["arrival_date"])


async def merged_records(conn: asyncpg.Connection, person_id: UUID) -> list[UUID]:
    """The records merged into a person, and into those, and so on: they go with the person's
    erasure (a merge undone unlinks its record again)."""
    rows = await conn.fetch(
        """
        WITH RECURSIVE merged (person_id) AS (
            SELECT person_id FROM case_members WHERE merged_into = $1 AND status <> 'active'
            UNION
            SELECT c.person_id FROM case_members c JOIN merged m ON c.merged_into = m.person_id
            WHERE c.status <> 'active'
        )
        SELECT person_id FROM merged ORDER BY person_id
        """,
        person_id,
    )
    return [row["person_id"] for row in rows]
