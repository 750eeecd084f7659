"""Aid's read models: beneficiaries (from intake's and its own events) and entitlements."""

from __future__ import annotations

import asyncpg

from shared.eventstore import RecordedEvent
from shared.schemas.aid import EntitlementGranted, EntitlementsClosed, ResidentRecorded
from shared.schemas.intake import ArrivalRegistered

READ_MODEL_TABLES = ("entitlements", "beneficiaries")


async def project_arrival(conn: asyncpg.Connection, arrival: ArrivalRegistered) -> None:
    """Intake's arrival makes the people known to aid, before or after housing places them."""
    await conn.executemany(
        """
        INSERT INTO beneficiaries (person_id, arrival_id, age_band, registered_at)
        VALUES ($1, $2, $3, $4)
        ON CONFLICT (person_id) DO UPDATE
        SET arrival_id = EXCLUDED.arrival_id, age_band = EXCLUDED.age_band,
            registered_at = EXCLUDED.registered_at
        """,
        [
            (member.person_id, arrival.arrival_id, member.age_band.value, arrival.occurred_at)
            for member in arrival.members
        ],
    )


async def project(conn: asyncpg.Connection, recorded: RecordedEvent) -> None:
    event = recorded.event
    if isinstance(event, ResidentRecorded):
        await conn.execute(
            """
            INSERT INTO beneficiaries (person_id, shelter_id, resident_since)
            VALUES ($1, $2, $3)
            ON CONFLICT (person_id) DO UPDATE
            SET shelter_id = EXCLUDED.shelter_id, resident_since = EXCLUDED.resident_since,
                status = 'resident'
            """,
            event.person_id,
            event.shelter_id,
            event.occurred_at,
        )
    elif isinstance(event, EntitlementGranted):
        await conn.execute(
            """
            INSERT INTO entitlements (person_id, item, per_day, granted_at)
            VALUES ($1, $2, $3, $4) ON CONFLICT (person_id, item)
            DO UPDATE SET per_day = EXCLUDED.per_day, granted_at = EXCLUDED.granted_at,
                          closed_at = NULL, closed_reason = NULL
            """,
            event.person_id,
            event.item.value,
            event.per_day,
            event.occurred_at,
        )
    elif isinstance(event, EntitlementsClosed):
        await conn.execute(
            "UPDATE entitlements SET closed_at = $2, closed_reason = $3 "
            "WHERE person_id = $1 AND closed_at IS NULL",
            event.person_id,
            event.occurred_at,
            event.reason,
        )
        await conn.execute(
            "UPDATE beneficiaries SET shelter_id = NULL, resident_since = NULL, status = $2 "
            "WHERE person_id = $1",
            event.person_id,
            event.reason,
        )
