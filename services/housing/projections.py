"""Housing's read models: shelters and units with free, held and occupied places, where each
person is (or waits), and each person's placement history.

Guards that hold whatever a bug upstream tries: a unit never counts more people than places
(CHECK), a place never holds two people (unique index), a person never holds two places (the
BedAssigned projection refuses)."""

from __future__ import annotations

import asyncpg

from services.housing.events import PersonMoved
from shared.eventstore import RecordedEvent
from shared.schemas.housing import (
    BedAssigned,
    BedReleased,
    HoldExpired,
    HostOfferMade,
    HostOfferVerified,
    HostOfferWithdrawn,
    PersonCheckedIn,
    PersonCheckedOut,
    PersonLeftWaitlist,
    PersonWaitlisted,
    ShelterClosed,
    ShelterOpened,
    ShelterReopened,
    Unit,
    UnitAdded,
    UnitCapacityChanged,
)

READ_MODEL_TABLES = ("placement_history", "placements", "units", "shelters")

_STATUS_AFTER_FREEING = {
    "left": "checked_out",
    "stay_ended": "checked_out",
    "departed": "departed",
    "merged": "merged",
    "offer_withdrawn": "released",
    "moved": "moving",
}


class PersonAlreadyPlaced(Exception):
    """A second place for one person: the transaction must not commit."""


async def _unit(conn: asyncpg.Connection, shelter_id: object, unit: Unit) -> None:
    await conn.execute(
        """
        INSERT INTO units (unit_id, shelter_id, name, places, attributes, languages)
        VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (unit_id) DO NOTHING
        """,
        unit.unit_id, shelter_id, unit.name, unit.places,
        [attribute.value for attribute in unit.attributes], list(unit.languages),
    )  # fmt: skip


async def _history(
    conn: asyncpg.Connection,
    recorded: RecordedEvent,
    person_id: object,
    what: str,
    shelter_id: object = None,
    unit_id: object = None,
    bed: int | None = None,
    reason: str | None = None,
) -> None:
    await conn.execute(
        """
        INSERT INTO placement_history (person_id, position, at, what, shelter_id, unit_id,
                                       bed_number, reason)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING
        """,
        person_id, recorded.global_position, recorded.event.occurred_at, what, shelter_id,
        unit_id, bed, reason,
    )  # fmt: skip


async def _count(conn: asyncpg.Connection, unit_id: object, held: int, occupied: int) -> None:
    await conn.execute(
        "UPDATE units SET held = held + $2, occupied = occupied + $3 WHERE unit_id = $1",
        unit_id, held, occupied,
    )  # fmt: skip


async def project(conn: asyncpg.Connection, recorded: RecordedEvent) -> None:
    event = recorded.event
    if isinstance(event, ShelterOpened):
        await conn.execute(
            """
            INSERT INTO shelters (shelter_id, name, kind, district, status, contact_partner_id,
                                  max_nights, opened_at)
            VALUES ($1, $2, $3, $4, 'open', $5, $6, $7) ON CONFLICT DO NOTHING
            """,
            event.shelter_id, event.name, event.kind.value, event.district,
            event.contact_partner_id, event.max_nights, event.occurred_at,
        )  # fmt: skip
        for unit in event.units:
            await _unit(conn, event.shelter_id, unit)
    elif isinstance(event, HostOfferMade):
        await conn.execute(
            """
            INSERT INTO shelters (shelter_id, name, kind, district, status, host_partner_id,
                                  available_from, available_until, opened_at)
            VALUES ($1, $2, 'host_home', $3, 'offered', $4, $5, $6, $7) ON CONFLICT DO NOTHING
            """,
            event.shelter_id, f"Host home ({event.partner_id}), {event.district}",
            event.district, event.partner_id, event.available_from, event.available_until,
            event.occurred_at,
        )  # fmt: skip
        await _unit(conn, event.shelter_id, event.unit)
    elif isinstance(
        event, HostOfferVerified | ShelterReopened | ShelterClosed | HostOfferWithdrawn
    ):
        status = {
            HostOfferVerified: "open", ShelterReopened: "open", ShelterClosed: "closed",
            HostOfferWithdrawn: "withdrawn",
        }[type(event)]  # fmt: skip
        await conn.execute(
            "UPDATE shelters SET status = $2 WHERE shelter_id = $1", event.shelter_id, status
        )
    elif isinstance(event, UnitAdded):
        await _unit(conn, event.shelter_id, event.unit)
    elif isinstance(event, UnitCapacityChanged):
        await conn.execute(
            "UPDATE units SET places = $2 WHERE unit_id = $1", event.unit_id, event.places
        )
    elif isinstance(event, BedAssigned):
        taken = await conn.fetchval(
            """
            INSERT INTO placements AS p (person_id, arrival_id, status, shelter_id, unit_id,
                bed_number, hold_until, since, correlation_id)
            VALUES ($1, $2, 'held', $3, $4, $5, $6, $7, $8)
            ON CONFLICT (person_id) DO UPDATE
            SET status = 'held', arrival_id = EXCLUDED.arrival_id,
                shelter_id = EXCLUDED.shelter_id, unit_id = EXCLUDED.unit_id,
                bed_number = EXCLUDED.bed_number, hold_until = EXCLUDED.hold_until,
                since = EXCLUDED.since, reason = NULL, checked_in_at = NULL
            WHERE p.status NOT IN ('held', 'checked_in')
            RETURNING true
            """,
            event.person_id, event.arrival_id, event.shelter_id, event.unit_id,
            event.bed_number, event.hold_until, event.occurred_at, recorded.correlation_id,
        )  # fmt: skip
        if not taken:
            raise PersonAlreadyPlaced(f"person {event.person_id} already holds a place")
        await _count(conn, event.unit_id, 1, 0)
        await _history(conn, recorded, event.person_id, "held", event.shelter_id,
                       event.unit_id, event.bed_number)  # fmt: skip
    elif isinstance(event, PersonCheckedIn):
        await conn.execute(
            "UPDATE placements SET status = 'checked_in', checked_in_at = $2, hold_until = NULL "
            "WHERE person_id = $1",
            event.person_id, event.occurred_at,
        )  # fmt: skip
        await _count(conn, event.unit_id, -1, 1)
        await _history(conn, recorded, event.person_id, "checked_in", event.shelter_id,
                       event.unit_id, event.bed_number)  # fmt: skip
    elif isinstance(event, PersonCheckedOut | BedReleased | HoldExpired):
        reason = "no_show" if isinstance(event, HoldExpired) else event.reason
        status = "no_show" if isinstance(event, HoldExpired) else _STATUS_AFTER_FREEING[reason]
        await conn.execute(
            """
            UPDATE placements SET status = $2, reason = $3, since = $4, hold_until = NULL,
                   shelter_id = NULL, unit_id = NULL, bed_number = NULL, checked_in_at = NULL
            WHERE person_id = $1 AND unit_id = $5 AND bed_number = $6
            """,
            event.person_id, status, reason, event.occurred_at, event.unit_id, event.bed_number,
        )  # fmt: skip
        checked_out = isinstance(event, PersonCheckedOut)
        await _count(conn, event.unit_id, 0 if checked_out else -1, -1 if checked_out else 0)
        what = {PersonCheckedOut: "checked_out", BedReleased: "released",
                HoldExpired: "hold_expired"}[type(event)]  # fmt: skip
        await _history(conn, recorded, event.person_id, what, event.shelter_id, event.unit_id,
                       event.bed_number, reason)  # fmt: skip
    elif isinstance(event, PersonWaitlisted):
        needs = event.requirements
        await conn.execute(
            """
            INSERT INTO placements AS p (person_id, arrival_id, status, reason, since,
                correlation_id, keep_together, priority, needs_accessible, needs_family,
                all_women)
            VALUES ($1, $2, 'waiting', $3, $4, $5, $6, $7, $8, $9, $10)
            ON CONFLICT (person_id) DO UPDATE
            SET status = 'waiting', arrival_id = EXCLUDED.arrival_id, reason = EXCLUDED.reason,
                since = EXCLUDED.since, keep_together = EXCLUDED.keep_together,
                priority = EXCLUDED.priority, needs_accessible = EXCLUDED.needs_accessible,
                needs_family = EXCLUDED.needs_family, all_women = EXCLUDED.all_women
            WHERE p.status NOT IN ('held', 'checked_in')
            """,
            event.person_id, event.arrival_id, event.reason, event.occurred_at,
            recorded.correlation_id, event.keep_together, event.priority, needs.accessible,
            needs.family_room, needs.all_women,
        )  # fmt: skip
        await _history(conn, recorded, event.person_id, "waitlisted", reason=event.reason)
    elif isinstance(event, PersonLeftWaitlist):
        if event.reason != "placed":
            await conn.execute(
                "UPDATE placements SET status = $2, reason = $2, since = $3 "
                "WHERE person_id = $1 AND status = 'waiting'",
                event.person_id, event.reason, event.occurred_at,
            )  # fmt: skip
        await _history(conn, recorded, event.person_id, "left_waitlist", reason=event.reason)
    elif isinstance(event, PersonMoved):
        await _history(conn, recorded, event.person_id, "moved", event.shelter_id,
                       reason=event.reason)  # fmt: skip
