"""What housing keeps of a person it must not place, and nothing more: one who departed before
their arrival reached housing, one who withdrew their consent to housing or was erased. The
live projection (services/housing/projections.py) writes these rows; the rebuild
(services/housing/rebuild.py) builds the same ones with ``forgotten`` and ``departed``."""

from __future__ import annotations

from typing import Any

import asyncpg

from services.housing.events import DepartureBeforeArrival
from shared.schemas.housing import PersonForgotten


def departed(event: DepartureBeforeArrival, correlation_id: str) -> tuple[Any, ...]:
    """person_id, status, reason, since, correlation_id: a departure before the arrival (so
    that the arrival does not place them)."""
    return (event.person_id, "departed", event.reason, event.occurred_at, correlation_id)


def forgotten(
    event: PersonForgotten, correlation_id: str, status_before: str | None
) -> tuple[Any, ...]:
    """person_id, status, since, correlation_id: all that is kept of a forgotten person (so
    that their arrival, should it come late, does not place them; nor a consent given again,
    once they departed)."""
    status = "departed" if status_before == "departed" else "forgotten"
    return (event.person_id, status, event.occurred_at, correlation_id)


async def forget(conn: asyncpg.Connection, event: PersonForgotten, correlation_id: str) -> None:
    """The placement row is emptied down to its tombstone and the history goes. The shelter's
    events keep the person's pseudonymous id at their places: past occupancy is counted from
    them, and an event store is never rewritten."""
    before = await conn.fetchval(
        "DELETE FROM placements WHERE person_id = $1 RETURNING status", event.person_id
    )
    await conn.execute(
        "INSERT INTO placements (person_id, status, since, correlation_id) VALUES ($1, $2, $3, $4)",
        *forgotten(event, correlation_id, before),
    )
    await conn.execute("DELETE FROM placement_history WHERE person_id = $1", event.person_id)


async def keep_tombstone(
    conn: asyncpg.Connection, event: PersonForgotten | DepartureBeforeArrival, correlation_id: str
) -> None:
    if isinstance(event, PersonForgotten):
        await forget(conn, event, correlation_id)
        return
    # the first a person's row says, or nothing: a departure comes only before anything else
    await conn.execute(
        "INSERT INTO placements (person_id, status, reason, since, correlation_id) "
        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        *departed(event, correlation_id),
    )
