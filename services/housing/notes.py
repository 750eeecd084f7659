"""What operators write about a person in their own words, kept outside the event store.

A move's reason is free text, which can describe the person (their health, their family, a
conflict): events are kept forever, so it is not written into one. It lives here, keyed by the
person and the position of the move's event, and goes when the person is erased or withdraws
their consent to housing; a rebuild of the read models leaves it as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

import asyncpg

from shared.idempotency import ERASED_ANSWER, forget_requests_carrying


async def keep_move_note(
    conn: asyncpg.Connection, person_id: UUID, position: int, reason: str
) -> None:
    await conn.execute(
        "INSERT INTO move_notes (person_id, position, reason) VALUES ($1, $2, $3)",
        person_id,
        position,
        reason,
    )


async def forget_person(
    conn: asyncpg.Connection, person_id: UUID, answer: Mapping[str, Any] = ERASED_ANSWER
) -> None:
    """Delete the person's notes and neutralise the stored requests that carried them (a
    move's answer, which repeats its reason; a check-in's body), whose retries get ``answer``:
    on an erasure, and on a withdrawal of the consent to housing."""
    await conn.execute("DELETE FROM move_notes WHERE person_id = $1", person_id)
    await forget_requests_carrying(conn, [person_id], answer)
