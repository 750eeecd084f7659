"""Housing and an erased person: their place is freed and passes on, they leave the waitlist,
the read models keep only a tombstone, and the operators' notes about them and every stored
request that carried them go.

An erasure is keyed by the person on intake's topic and an arrival by the arrival, so the
erasure may come first. Housing remembers the erased ids (the id and when, nothing more) and
takes nothing about them in afterwards: an arrival places its other members only, and a
consent, departure or merge naming them changes nothing."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from services.housing.arrival_run import Holds
from services.housing.consent import release_and_forget
from services.housing.notes import forget_person
from shared.eventstore import Causation, EventStore
from shared.schemas.intake import PersonErased


async def erase_person(
    conn: asyncpg.Connection,
    store: EventStore,
    holds: Holds,
    erased: PersonErased,
    causation: Causation,
    now: datetime,
) -> None:
    await conn.execute(
        "INSERT INTO erased_persons (person_id, erased_at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        erased.person_id, erased.occurred_at,
    )  # fmt: skip
    await release_and_forget(conn, store, holds, erased.person_id, None, causation, now)
    await forget_person(conn, erased.person_id)
