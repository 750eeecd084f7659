"""What operators write about a person in their own words, kept outside the event store.

A move's reason is free text, which can describe the person (their health, their family, a
conflict): events are kept forever, so it is not written into one. It lives here, keyed by the
person and the position of the move's event, and goes when the person is erased; a rebuild of
the read models leaves it as it is.
"""

from __future__ import annotations

from uuid import UUID

import asyncpg

from shared.idempotency import forget_requests_carrying


async def keep_move_note(
    conn: asyncpg.Connection, person_id: UUID, position: int, reason: str
) -> None:
    await conn.execute(
        "INSERT INTO move_notes (person_id, position, reason) VALUES ($1, $2, $3)",
        person_id,
        position,
        reason,
    )


async def forget_person(conn: asyncpg.Connection, person_id: UUID) -> None:
    """Delete the person's notes and neutralise the stored requests that carried them (a
    move's answer, a check-in's body)."""
    await conn.execute("DELETE FROM move_notes WHERE person_id = $1", person_id)
    await forget_requests_carrying(conn, [person_id])
