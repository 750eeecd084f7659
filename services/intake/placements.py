"""Where housing placed the people a partner registered, learnt from housing.events.v2, so the
partner (and its volunteers' phones) can see it: shelter, unit, place and hold, or the
waitlist. Housing's topic carries ids and the short public codes operators give shelters and
units ("atameken", "room-12"), never names: what a shelter or unit is called is housing's
(GET /v1/shelters/{shelter_id} there).

Events of different shelters travel on different partitions, so a move may arrive as the new
place before the release of the old one: a release touches a person's row only while it still
names the shelter released.

The row is a copy of where a person sleeps, so it goes when the person does: intake's own
erasure deletes it in the erasure's transaction (``forget_placements``), and a hold or a
waitlist entry delivered after it (another partition, later) is not written back. Housing
forgetting a person whose consent to housing was withdrawn leaves them shown as not housed,
with no place."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

from shared.consumer import IncomingEvent
from shared.schemas.housing import (
    BedAssigned,
    BedReleased,
    HoldExpired,
    PersonCheckedIn,
    PersonCheckedOut,
    PersonForgotten,
    PersonWaitlisted,
    PlaceFreedOnConsentWithdrawal,
    ShelterOpened,
    UnitAdded,
)
from shared.schemas.shelters import Unit


async def _code_units(conn: asyncpg.Connection, units: tuple[Unit, ...]) -> None:
    await conn.executemany(
        "INSERT INTO unit_codes (unit_id, code) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        [(unit.unit_id, unit.code) for unit in units if unit.code is not None],
    )


async def opened(conn: asyncpg.Connection, event: ShelterOpened, _: IncomingEvent) -> None:
    if event.code is not None:
        await conn.execute(
            "INSERT INTO shelter_codes (shelter_id, code) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            event.shelter_id, event.code,
        )  # fmt: skip
    await _code_units(conn, event.units)


async def unit_added(conn: asyncpg.Connection, event: UnitAdded, _: IncomingEvent) -> None:
    await _code_units(conn, (event.unit,))


_PLACE = """
INSERT INTO arrival_placements (person_id, arrival_id, status, shelter_id, unit_id, bed_number,
                                hold_until)
SELECT $1, $2, $3, $4, $5, $6, $7
WHERE NOT EXISTS (SELECT FROM case_members WHERE person_id = $1 AND status = 'erased')
ON CONFLICT (person_id) DO UPDATE SET arrival_id = EXCLUDED.arrival_id, status = EXCLUDED.status,
    shelter_id = EXCLUDED.shelter_id, unit_id = EXCLUDED.unit_id,
    bed_number = EXCLUDED.bed_number, hold_until = EXCLUDED.hold_until
"""


async def held(conn: asyncpg.Connection, event: BedAssigned, _: IncomingEvent) -> None:
    await conn.execute(_PLACE, event.person_id, event.arrival_id, "held", event.shelter_id,
                       event.unit_id, event.bed_number, event.hold_until)  # fmt: skip


async def waiting(conn: asyncpg.Connection, event: PersonWaitlisted, _: IncomingEvent) -> None:
    await conn.execute(
        _PLACE + " WHERE arrival_placements.status <> 'held'",
        event.person_id, event.arrival_id, "waiting", None, None, None, None,
    )  # fmt: skip


async def checked_in(conn: asyncpg.Connection, event: PersonCheckedIn, _: IncomingEvent) -> None:
    await conn.execute(
        "UPDATE arrival_placements SET status = 'checked_in' "
        "WHERE person_id = $1 AND shelter_id = $2",
        event.person_id, event.shelter_id,
    )  # fmt: skip


async def released(
    conn: asyncpg.Connection, event: PersonCheckedOut | BedReleased | HoldExpired, _: IncomingEvent
) -> None:
    await conn.execute(
        "UPDATE arrival_placements SET status = 'released' "
        "WHERE person_id = $1 AND shelter_id = $2 AND bed_number = $3",
        event.person_id, event.shelter_id, event.bed_number,
    )  # fmt: skip


async def freed_on_withdrawal(
    conn: asyncpg.Connection, event: PlaceFreedOnConsentWithdrawal, _: IncomingEvent
) -> None:
    """The event names no bed: a person holds one place per shelter."""
    await conn.execute(
        "UPDATE arrival_placements SET status = 'released' "
        "WHERE person_id = $1 AND shelter_id = $2",
        event.person_id, event.shelter_id,
    )  # fmt: skip


async def forgotten(conn: asyncpg.Connection, event: PersonForgotten, _: IncomingEvent) -> None:
    """Housing no longer places the person (their consent to housing was withdrawn): shown as
    such, with no place. An erased person's row went with the erasure and stays gone."""
    await conn.execute(
        "UPDATE arrival_placements SET status = 'not_housed', shelter_id = NULL, unit_id = NULL, "
        "bed_number = NULL, hold_until = NULL WHERE person_id = $1",
        event.person_id,
    )


async def forget_placements(conn: asyncpg.Connection, people: list[UUID]) -> None:
    await conn.execute("DELETE FROM arrival_placements WHERE person_id = ANY($1)", people)


async def placement_of_arrival(conn: asyncpg.Connection, arrival_id: UUID) -> list[dict[str, Any]]:
    """Each person of an arrival with where they are, as far as housing has told intake."""
    rows = await conn.fetch(
        """
        SELECT m.person_id, m.status AS member_status, p.status, p.shelter_id, p.unit_id,
               p.bed_number, p.hold_until,
               s.code AS shelter_code, u.code AS unit_code
        FROM case_members m
        LEFT JOIN arrival_placements p USING (person_id)
        LEFT JOIN shelter_codes s ON s.shelter_id = p.shelter_id
        LEFT JOIN unit_codes u ON u.unit_id = p.unit_id
        WHERE m.arrival_id = $1 ORDER BY m.person_id
        """,
        arrival_id,
    )
    return [
        {"person_id": str(row["person_id"]),
         "status": "erased" if row["member_status"] == "erased" else row["status"] or "pending",
         "shelter_id": row["shelter_id"] and str(row["shelter_id"]),
         "shelter_code": row["shelter_code"],
         "unit_id": row["unit_id"] and str(row["unit_id"]), "unit_code": row["unit_code"],
         "bed_number": row["bed_number"],
         "hold_until": row["hold_until"].isoformat() if row["hold_until"] else None}
        for row in rows
    ]  # fmt: skip
