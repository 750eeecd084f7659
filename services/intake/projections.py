"""Intake's read model: the cases partners registered, projected from the arrival events."""

from __future__ import annotations

import asyncpg

from shared.eventstore import RecordedEvent
from shared.schemas.intake import ArrivalRegistered

READ_MODEL_TABLES = ("case_members", "cases")


async def project(conn: asyncpg.Connection, recorded: RecordedEvent) -> None:
    event = recorded.event
    if isinstance(event, ArrivalRegistered):
        await conn.execute(
            """
            INSERT INTO cases (arrival_id, partner_id, member_count, keep_together,
                               arrival_date, crossing_point, registered_at, correlation_id)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            ON CONFLICT (arrival_id) DO NOTHING
            """,
            event.arrival_id,
            event.partner_id,
            len(event.members),
            event.keep_together,
            event.arrival_date,
            event.crossing_point,
            event.occurred_at,
            recorded.correlation_id,
        )
        await conn.executemany(
            """
            INSERT INTO case_members (person_id, arrival_id, age_band, sex, relation, needs,
                                      languages)
            VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (person_id) DO NOTHING
            """,
            [
                (
                    member.person_id,
                    event.arrival_id,
                    member.age_band.value,
                    member.sex.value,
                    member.relation.value,
                    [need.value for need in member.needs],
                    list(member.languages),
                )
                for member in event.members
            ],
        )
