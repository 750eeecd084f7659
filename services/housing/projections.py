"""Housing's read models: shelters and units with free, held and occupied places, where each
person is (or waits), and each person's placement history.

Guards that hold whatever a bug upstream tries: a unit never counts more people than places
(CHECK), a place never holds two people (unique index), a person never holds two places (the
BedAssigned projection refuses)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg

from services.housing.events import DepartureBeforeArrival, PersonMoved, ShelterDescribed
from services.housing.shelter_rows import shelter_name, shelter_of, units_of
from services.housing.tombstones import keep_tombstone
from shared.eventstore import RecordedEvent
from shared.schemas.base import DomainEvent
from shared.schemas.housing import (
    BedAssigned,
    BedReleased,
    HoldExpired,
    HostOfferMade,
    HostOfferVerified,
    HostOfferWithdrawn,
    PersonCheckedIn,
    PersonCheckedOut,
    PersonForgotten,
    PersonLeftWaitlist,
    PersonWaitlisted,
    PlaceFreedOnConsentWithdrawal,
    ShelterClosed,
    ShelterOpened,
    ShelterReopened,
    UnitAdded,
    UnitCapacityChanged,
)

READ_MODEL_TABLES = ("placement_history", "placements", "units", "shelters")

# Rows as both this projection and the rebuild (services/housing/rebuild.py) write them, each in
# the order of its table's columns.
HISTORY_COLUMNS = (
    "person_id", "position", "at", "what", "shelter_id", "unit_id", "bed_number", "reason",
)  # fmt: skip

ShelterStatusChange = HostOfferVerified | ShelterReopened | ShelterClosed | HostOfferWithdrawn
SHELTER_STATUS_AFTER: dict[type[DomainEvent], str] = {
    HostOfferVerified: "open", ShelterReopened: "open", ShelterClosed: "closed",
    HostOfferWithdrawn: "withdrawn",
}  # fmt: skip

_STATUS_AFTER_FREEING = {
    "left": "checked_out", "stay_ended": "checked_out", "departed": "departed",
    "merged": "merged", "offer_withdrawn": "released", "moved": "moving",
}  # fmt: skip


#: a place freed, by whatever occasion
FreedPlace = PersonCheckedOut | BedReleased | HoldExpired | PlaceFreedOnConsentWithdrawal


class PersonAlreadyPlaced(Exception):
    """A second place for one person: the transaction must not commit."""


@dataclass(frozen=True)
class Freeing:
    """What freeing a place does: the placement's status and reason after it, the word in the
    person's history, and the change to the unit's held and occupied places."""

    status: str
    reason: str
    what: str
    held: int
    occupied: int


def freeing(event: FreedPlace) -> Freeing:
    if isinstance(event, HoldExpired):
        return Freeing("no_show", "no_show", "hold_expired", -1, 0)
    if isinstance(event, PlaceFreedOnConsentWithdrawal):
        taken = int(event.checked_in)
        return Freeing("forgotten", "consent_withdrawn", "released", taken - 1, -taken)
    status = _STATUS_AFTER_FREEING[event.reason]
    if isinstance(event, BedReleased):
        return Freeing(status, event.reason, "released", -1, 0)
    return Freeing(status, event.reason, "checked_out", 0, -1)


def hold_of(event: BedAssigned) -> tuple[Any, ...]:
    """arrival_id, shelter_id, unit_id, bed_number, hold_until, since: what a held placement
    says."""
    return (
        event.arrival_id, event.shelter_id, event.unit_id, event.bed_number, event.hold_until,
        event.occurred_at,
    )  # fmt: skip


def waiting_of(event: PersonWaitlisted) -> tuple[Any, ...]:
    """arrival_id, reason, since, keep_together, priority, needs_accessible, needs_family,
    all_women: what a waiting placement says."""
    needs = event.requirements
    return (
        event.arrival_id, event.reason, event.occurred_at, event.keep_together, event.priority,
        needs.accessible, needs.family_room, needs.all_women,
    )  # fmt: skip


def places_change(event: DomainEvent) -> tuple[Any, int, int] | None:
    """(unit_id, held, occupied): how an event changes a unit's held and occupied places."""
    if isinstance(event, BedAssigned):
        return event.unit_id, 1, 0
    if isinstance(event, PersonCheckedIn):
        return event.unit_id, -1, 1
    if isinstance(event, FreedPlace):
        freed = freeing(event)
        return event.unit_id, freed.held, freed.occupied
    return None


def history_line(recorded: RecordedEvent) -> tuple[Any, ...] | None:
    """The line an event adds to a person's placement history, if it adds one."""
    event = recorded.event
    if isinstance(event, BedAssigned | PersonCheckedIn):
        what = "held" if isinstance(event, BedAssigned) else "checked_in"
        place: tuple[Any, ...] = (event.shelter_id, event.unit_id, event.bed_number, None)
    elif isinstance(event, FreedPlace):
        freed = freeing(event)
        what, place = freed.what, (event.shelter_id, event.unit_id, event.bed_number, freed.reason)
    elif isinstance(event, PersonWaitlisted | PersonLeftWaitlist):
        what = "waitlisted" if isinstance(event, PersonWaitlisted) else "left_waitlist"
        place = (None, None, None, event.reason)
    elif isinstance(event, PersonMoved):
        # the operator's reason is in move_notes, joined when the history is read
        what, place = "moved", (event.shelter_id, None, None, None)
    else:
        return None
    return (event.person_id, recorded.global_position, event.occurred_at, what, *place)


async def project(conn: asyncpg.Connection, recorded: RecordedEvent) -> None:
    event = recorded.event
    if isinstance(event, ShelterOpened | HostOfferMade | UnitAdded):
        await _shelter_and_units(conn, event)
    elif isinstance(event, ShelterDescribed):
        await _describe(conn, event)
    elif isinstance(event, ShelterStatusChange):
        await conn.execute(
            "UPDATE shelters SET status = $2 WHERE shelter_id = $1",
            event.shelter_id, SHELTER_STATUS_AFTER[type(event)],
        )  # fmt: skip
    elif isinstance(event, UnitCapacityChanged):
        await conn.execute(
            "UPDATE units SET places = $2 WHERE unit_id = $1", event.unit_id, event.places
        )
    else:
        await _placement(conn, recorded)
    if change := places_change(event):
        await conn.execute(
            "UPDATE units SET held = held + $2, occupied = occupied + $3 WHERE unit_id = $1",
            *change,
        )
    if line := history_line(recorded):
        await conn.execute(
            """
            INSERT INTO placement_history (person_id, position, at, what, shelter_id, unit_id,
                                           bed_number, reason)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING
            """,
            *line,
        )


async def _shelter_and_units(
    conn: asyncpg.Connection, event: ShelterOpened | HostOfferMade | UnitAdded
) -> None:
    if not isinstance(event, UnitAdded):
        await conn.execute(
            """
            INSERT INTO shelters (shelter_id, name, kind, district, status, contact_partner_id,
                                  host_partner_id, max_nights, available_from, available_until,
                                  opened_at, code)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
            ON CONFLICT (shelter_id) DO NOTHING
            """,
            *shelter_of(event),
        )
    await conn.executemany(
        """
        INSERT INTO units (unit_id, shelter_id, name, places, attributes, languages, code)
        VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (unit_id) DO NOTHING
        """,
        units_of(event),
    )


async def _describe(conn: asyncpg.Connection, event: ShelterDescribed) -> None:
    row = await conn.fetchrow(
        "SELECT district, host_partner_id FROM shelters WHERE shelter_id = $1",
        event.shelter_id,
    )
    if row is not None and (event.name is not None or event.district is not None):
        district = row["district"] if event.district is None else event.district
        name = shelter_name(event, row["host_partner_id"], district)
        await conn.execute(
            "UPDATE shelters SET name = $2, district = $3 WHERE shelter_id = $1",
            event.shelter_id, name, district,
        )  # fmt: skip
    await conn.executemany(
        "UPDATE units SET name = $2 WHERE unit_id = $1",
        [(named.unit_id, named.name) for named in event.unit_names],
    )


async def _placement(conn: asyncpg.Connection, recorded: RecordedEvent) -> None:
    event = recorded.event
    if isinstance(event, BedAssigned):
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
            event.person_id, *hold_of(event), recorded.correlation_id,
        )  # fmt: skip
        if not taken:
            raise PersonAlreadyPlaced(f"person {event.person_id} already holds a place")
    elif isinstance(event, PersonCheckedIn):
        await conn.execute(
            "UPDATE placements SET status = 'checked_in', checked_in_at = $2, hold_until = NULL "
            "WHERE person_id = $1",
            event.person_id, event.occurred_at,
        )  # fmt: skip
    elif isinstance(event, FreedPlace):
        freed = freeing(event)
        await conn.execute(
            """
            UPDATE placements SET status = $2, reason = $3, since = $4, hold_until = NULL,
                   shelter_id = NULL, unit_id = NULL, bed_number = NULL, checked_in_at = NULL
            WHERE person_id = $1 AND unit_id = $5 AND bed_number = $6
            """,
            event.person_id, freed.status, freed.reason, event.occurred_at, event.unit_id,
            event.bed_number,
        )  # fmt: skip
    elif isinstance(event, PersonWaitlisted):
        await conn.execute(
            """
            INSERT INTO placements AS p (person_id, arrival_id, reason, since, keep_together,
                priority, needs_accessible, needs_family, all_women, status, correlation_id)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'waiting', $10)
            ON CONFLICT (person_id) DO UPDATE
            SET status = 'waiting', arrival_id = EXCLUDED.arrival_id, reason = EXCLUDED.reason,
                since = EXCLUDED.since, keep_together = EXCLUDED.keep_together,
                priority = EXCLUDED.priority, needs_accessible = EXCLUDED.needs_accessible,
                needs_family = EXCLUDED.needs_family, all_women = EXCLUDED.all_women
            WHERE p.status NOT IN ('held', 'checked_in')
            """,
            event.person_id, *waiting_of(event), recorded.correlation_id,
        )  # fmt: skip
    elif isinstance(event, PersonForgotten | DepartureBeforeArrival):
        await keep_tombstone(conn, event, recorded.correlation_id)
    elif isinstance(event, PersonLeftWaitlist) and event.reason != "placed":
        await conn.execute(
            "UPDATE placements SET status = $2, reason = $2, since = $3 "
            "WHERE person_id = $1 AND status = 'waiting'",
            event.person_id, event.reason, event.occurred_at,
        )  # fmt: skip
