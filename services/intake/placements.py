"""Where housing placed the people a partner registered, learnt from housing.events.v1, so the
partner (and its volunteers' phones) can see it: shelter, unit, place and hold, or the
waitlist. Housing's topic carries ids and public names of shelters only, nothing personal.

Events of different shelters travel on different partitions, so a move may arrive as the new
place before the release of the old one: a release touches a person's row only while it still
names the shelter released."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

from shared.consumer import IncomingEvent
from shared.schemas.housing import (
    BedAssigned,
    BedReleased,
    HoldExpired,
    HostOfferMade,
    PersonCheckedIn,
    PersonCheckedOut,
    PersonWaitlisted,
    ShelterOpened,
    Unit,
    UnitAdded,
)


async def _name_units(conn: asyncpg.Connection, units: tuple[Unit, ...]) -> None:
    await conn.executemany(
        "INSERT INTO unit_names (unit_id, name) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        [(unit.unit_id, unit.name) for unit in units],
    )


async def _name_shelter(conn: asyncpg.Connection, shelter_id: UUID, name: str) -> None:
    await conn.execute(
        "INSERT INTO shelter_names (shelter_id, name) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        shelter_id,
        name,
    )


_PLACE = """
INSERT INTO arrival_placements (person_id, arrival_id, status, shelter_id, unit_id, bed_number,
                                hold_until)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (person_id) DO UPDATE SET arrival_id = EXCLUDED.arrival_id, status = EXCLUDED.status,
    shelter_id = EXCLUDED.shelter_id, unit_id = EXCLUDED.unit_id,
    bed_number = EXCLUDED.bed_number, hold_until = EXCLUDED.hold_until
"""


async def shelter_opened(conn: asyncpg.Connection, event: ShelterOpened, _: IncomingEvent) -> None:
    await _name_shelter(conn, event.shelter_id, event.name)
    await _name_units(conn, event.units)


async def host_offer_made(conn: asyncpg.Connection, event: HostOfferMade, _: IncomingEvent) -> None:
    await _name_shelter(conn, event.shelter_id, event.district)
    await _name_units(conn, (event.unit,))


async def unit_added(conn: asyncpg.Connection, event: UnitAdded, _: IncomingEvent) -> None:
    await _name_units(conn, (event.unit,))


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


async def placement_of_arrival(conn: asyncpg.Connection, arrival_id: UUID) -> list[dict[str, Any]]:
    """Each person of an arrival with where they are, as far as housing has told intake."""
    rows = await conn.fetch(
        """
        SELECT m.person_id, p.status, s.name AS shelter, u.name AS unit, p.bed_number,
               p.hold_until
        FROM case_members m
        LEFT JOIN arrival_placements p USING (person_id)
        LEFT JOIN shelter_names s ON s.shelter_id = p.shelter_id
        LEFT JOIN unit_names u ON u.unit_id = p.unit_id
        WHERE m.arrival_id = $1 ORDER BY m.person_id
        """,
        arrival_id,
    )
    return [
        {"person_id": str(row["person_id"]), "status": row["status"] or "pending",
         "shelter": row["shelter"], "unit": row["unit"], "bed_number": row["bed_number"],
         "hold_until": row["hold_until"].isoformat() if row["hold_until"] else None}
        for row in rows
    ]  # fmt: skip
