"""Housing's read models: shelters with their occupancy, and where each person is."""

from __future__ import annotations

import asyncpg

from shared.eventstore import RecordedEvent
from shared.schemas.housing import (
    BedAssigned,
    BedReleased,
    PersonLeftWaitlist,
    PersonWaitlisted,
    ShelterOpened,
)

READ_MODEL_TABLES = ("placements", "shelters")


async def project(conn: asyncpg.Connection, recorded: RecordedEvent) -> None:
    event = recorded.event
    if isinstance(event, ShelterOpened):
        await conn.execute(
            """
            INSERT INTO shelters (shelter_id, name, kind, district, beds, occupied, opened_at)
            VALUES ($1, $2, $3, $4, $5, 0, $6) ON CONFLICT (shelter_id) DO NOTHING
            """,
            event.shelter_id,
            event.name,
            event.kind.value,
            event.district,
            event.beds,
            event.occurred_at,
        )
    elif isinstance(event, BedAssigned):
        await conn.execute(
            """
            INSERT INTO placements (person_id, arrival_id, status, shelter_id, bed_number,
                                    since, correlation_id)
            VALUES ($1, $2, 'placed', $3, $4, $5, $6)
            ON CONFLICT (person_id) DO UPDATE
            SET status = 'placed', arrival_id = EXCLUDED.arrival_id,
                shelter_id = EXCLUDED.shelter_id,
                bed_number = EXCLUDED.bed_number, since = EXCLUDED.since, reason = NULL
            """,
            event.person_id,
            event.arrival_id,
            event.shelter_id,
            event.bed_number,
            event.occurred_at,
            recorded.correlation_id,
        )
        await conn.execute(
            "UPDATE shelters SET occupied = occupied + 1 WHERE shelter_id = $1", event.shelter_id
        )
    elif isinstance(event, PersonWaitlisted):
        await conn.execute(
            """
            INSERT INTO placements (person_id, arrival_id, status, reason, since, correlation_id)
            VALUES ($1, $2, 'waiting', $3, $4, $5)
            ON CONFLICT (person_id) DO UPDATE
            SET status = 'waiting', arrival_id = EXCLUDED.arrival_id, reason = EXCLUDED.reason,
                since = EXCLUDED.since, shelter_id = NULL, bed_number = NULL
            """,
            event.person_id,
            event.arrival_id,
            event.reason,
            event.occurred_at,
            recorded.correlation_id,
        )
    elif isinstance(event, BedReleased):
        await conn.execute(
            """
            UPDATE placements SET status = $2, shelter_id = NULL, bed_number = NULL,
                   reason = 'bed released: ' || $2, since = $3
            WHERE person_id = $1
            """,
            event.person_id,
            event.reason,
            event.occurred_at,
        )
        await conn.execute(
            "UPDATE shelters SET occupied = occupied - 1 WHERE shelter_id = $1", event.shelter_id
        )
    elif isinstance(event, PersonLeftWaitlist):
        await conn.execute(
            "UPDATE placements SET status = $2, reason = 'left the waitlist: ' || $2, since = $3 "
            "WHERE person_id = $1",
            event.person_id,
            event.reason,
            event.occurred_at,
        )
