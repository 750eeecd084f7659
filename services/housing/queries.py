"""Housing's reads: occupancy now (from the read model) and at any past moment (from the
shelter's events, folded up to that moment); and the facts a placement decision needs (which
units have free places, who waits, where people stand), as plain values for the rules of
services/housing/domain to order and choose from."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg

from services.housing.domain.ranking import UnitsOnOffer, WhatFits
from services.housing.domain.shelter import Shelter, ShelterCommand
from services.housing.domain.waitlist_order import WaitingPerson, waitlist_order
from services.housing.events import ShelterDescribed
from shared.decision import Decider
from shared.eventstore import RecordedEvent
from shared.schemas.shelters import Requirements, UnitAttribute


@dataclass(frozen=True)
class Placement:
    """Where a person stands: their placement's status, shelter, arrival and needs."""

    status: str
    shelter_id: UUID | None
    arrival_id: UUID | None
    requirements: Requirements


async def placement_of(conn: asyncpg.Connection, person_id: UUID) -> Placement | None:
    row = await conn.fetchrow(
        "SELECT status, shelter_id, arrival_id, needs_accessible, needs_family, all_women "
        "FROM placements WHERE person_id = $1",
        person_id,
    )
    return None if row is None else _placement(row)


def _placement(row: asyncpg.Record) -> Placement:
    needs = Requirements(accessible=row["needs_accessible"], family_room=row["needs_family"],
                         all_women=row["all_women"])  # fmt: skip
    return Placement(row["status"], row["shelter_id"], row["arrival_id"], needs)


async def placements_of(
    conn: asyncpg.Connection, person_ids: Sequence[UUID]
) -> dict[UUID, Placement]:
    """``placement_of`` each of these people housing has a placement for, in one statement."""
    rows = await conn.fetch(
        "SELECT person_id, status, shelter_id, arrival_id, needs_accessible, needs_family, "
        "all_women FROM placements WHERE person_id = ANY($1::uuid[])",
        list(person_ids),
    )
    return {row["person_id"]: _placement(row) for row in rows}


async def statuses_of(conn: asyncpg.Connection, person_ids: Sequence[UUID]) -> dict[UUID, str]:
    """The placement status of each of these people housing has a placement for."""
    rows = await conn.fetch(
        "SELECT person_id, status FROM placements WHERE person_id = ANY($1::uuid[])",
        list(person_ids),
    )
    return {row["person_id"]: row["status"] for row in rows}


async def erased_among(conn: asyncpg.Connection, person_ids: Sequence[UUID]) -> set[UUID]:
    """Who of these people was erased: housing takes nothing about them in."""
    return (await where_they_stand(conn, person_ids))[1]


async def where_they_stand(
    conn: asyncpg.Connection, person_ids: Sequence[UUID]
) -> tuple[dict[UUID, str], set[UUID]]:
    """The placement status of each of these people housing has a placement for, and who of
    them was erased: in one round trip, as an arrival needs both."""
    rows = await conn.fetch(
        "SELECT person_id, status FROM placements WHERE person_id = ANY($1::uuid[]) "
        "UNION ALL SELECT person_id, NULL FROM erased_persons WHERE person_id = ANY($1::uuid[])",
        list(person_ids),
    )
    statuses = {row["person_id"]: row["status"] for row in rows if row["status"] is not None}
    return statuses, {row["person_id"] for row in rows if row["status"] is None}


#: units with a free place in shelters that take people on ``$1``; all of them are read
#: through the index of free units (migration 0010), so that a placement reads the free units,
#: not every shelter's
_FREE_UNITS = """
SELECT u.shelter_id, s.status, s.available_from, s.available_until, u.attributes,
       sum(u.places - u.held - u.occupied) AS free,
       max(u.places - u.held - u.occupied) AS most_in_one_unit
FROM units u JOIN shelters s USING (shelter_id)
WHERE u.places - u.held - u.occupied > 0 AND s.status = 'open'
  AND (s.available_from IS NULL OR $1::date BETWEEN s.available_from AND s.available_until)"""
_BY_KIND = " GROUP BY u.shelter_id, s.status, s.available_from, s.available_until, u.attributes"


async def units_with_free_places(
    conn: asyncpg.Connection, day: date, only: UUID | None = None
) -> list[UnitsOnOffer]:
    """The units with a free place in shelters open on ``day`` (of shelter ``only``, if
    given), summed per shelter and kind of unit (the same attributes), with the shelter's
    status and the period a host's home is on offer. A shelter of a hundred plain dormitories
    is one row. Shelters that take nobody that day (closed, a home offered for other days) are
    left out here already, or every placement would read their free places again
    (domain/ranking.py applies the same rule to what is read)."""
    if only is None:
        rows = await conn.fetch(_FREE_UNITS + _BY_KIND, day)
    else:
        rows = await conn.fetch(_FREE_UNITS + " AND s.shelter_id = $2" + _BY_KIND, day, only)
    return [
        UnitsOnOffer(
            row["shelter_id"], row["status"],
            (row["available_from"], row["available_until"]) if row["available_from"] else None,
            row["free"], row["most_in_one_unit"],
            frozenset(UnitAttribute(attribute) for attribute in row["attributes"]),
        )
        for row in rows
    ]  # fmt: skip


_WAITING = (
    "SELECT person_id, arrival_id, since, priority, keep_together, reason, "
    "needs_accessible, needs_family, all_women FROM placements WHERE status = 'waiting'"
)
#: the first ``$1`` waiting with priority and the first ``$1`` without, each in the waitlist's
#: order, read through the index on (priority, since): as cheap at sixty thousand waiting as
#: at ten
_HEAD_OF = """
({0} AND priority {1} ORDER BY since, arrival_id, person_id LIMIT $1)
UNION ALL
({0} AND NOT priority {1} ORDER BY since, arrival_id, person_id LIMIT $1)
"""
_HEAD = _HEAD_OF.format(_WAITING, "")
#: parties of up to this many people are read by their size, one branch of the index each
PARTIES_BY_SIZE = 12
#: who needs what no unit on offer gives is passed over in Postgres (domain/ranking.py's
#: WhatFits): once the head of the waitlist was vulnerable people needing accessible or family
#: rooms, a plain place freed read hundreds of them into housing, four times deeper each time
_NEEDS_MET = "AND (NOT needs_accessible OR $3) AND (NOT needs_family OR $4) AND (all_women OR $5)"


def _fitting(priority: str) -> str:
    """The first ``$1`` waiting, of ``priority``, whose party has at most ``$2`` people: each
    size's first through the index on (priority, party, since) and merged in the waitlist's
    order, so the groups too big for the places free are not read at all (a branch for a size
    above ``$2`` is not run). Parties above PARTIES_BY_SIZE (groups of up to fifty come) are
    read together and sorted, only when that many places are free."""
    order = "ORDER BY since, arrival_id, person_id"
    branches = [
        f"SELECT * FROM ({_WAITING} AND {priority} AND party = {size} AND $2 >= {size} "
        f"{_NEEDS_MET} {order} LIMIT $1) AS size_{size}"
        for size in range(1, PARTIES_BY_SIZE + 1)
    ]
    branches.append(
        f"SELECT * FROM ({_WAITING} AND {priority} AND party > {PARTIES_BY_SIZE} "
        f"AND party <= $2 AND $2 > {PARTIES_BY_SIZE} {_NEEDS_MET} {order} LIMIT $1) AS larger"
    )
    return f"SELECT * FROM ({' UNION ALL '.join(branches)}) AS fitting {order} LIMIT $1"


#: the same, of those who wait alone or in a party (their arrival's people waiting together)
#: of at most ``$2``, and need only what is on offer (``$3``-``$5``)
_HEAD_FITTING = f"({_fitting('priority')})\nUNION ALL\n({_fitting('NOT priority')})"
#: who of these arrivals waits to be placed together (the index on arrival_id of those waiting)
_TOGETHER = f"{_WAITING} AND keep_together AND arrival_id = ANY($1::uuid[])"


async def waiting_people(conn: asyncpg.Connection) -> list[WaitingPerson]:
    """Everyone on the waitlist, in no particular order (domain/waitlist_order.py orders)."""
    return [WaitingPerson(**dict(row)) for row in await conn.fetch(_WAITING)]


async def head_of_waitlist(
    conn: asyncpg.Connection, count: int, fitting: WhatFits | None = None
) -> list[WaitingPerson]:
    """The first ``count`` people on the waitlist, in its order; with ``fitting``, only those
    whose party (placing.waiting_parties) has at most that many people and who need nothing
    that is not on offer."""
    if fitting is None:
        rows = await conn.fetch(_HEAD, count)
    else:
        rows = await conn.fetch(
            _HEAD_FITTING, count, fitting.people, fitting.accessible, fitting.family_room,
            fitting.men,
        )  # fmt: skip
    return waitlist_order(WaitingPerson(**dict(row)) for row in rows)[:count]


async def waiting_together(
    conn: asyncpg.Connection, arrival_ids: Collection[UUID]
) -> list[WaitingPerson]:
    """Those of these arrivals who wait to be placed together."""
    rows = await conn.fetch(_TOGETHER, list(arrival_ids))
    return [WaitingPerson(**dict(row)) for row in rows]


async def lock_waiting_party(conn: asyncpg.Connection, arrival_id: UUID) -> None:
    """Until this transaction ends, no other may place this arrival's waiting people: two
    transactions that free places at once (two shelters opening, a departure and an expired
    hold) read the same waitlist and would both place its first party. The second waits
    here, then finds them placed. (Two that lock two parties in opposite order deadlock;
    Postgres ends one, which starts again.)"""
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtext('waiting-party'), hashtext($1::text))",
        str(arrival_id),
    )


async def shelters_with_expired_holds(conn: asyncpg.Connection, now: datetime) -> list[UUID]:
    """The shelters where a hold ended by ``now`` and nobody checked in: read through the index
    of holds by their end, so only the holds due are read, however many people are placed."""
    rows = await conn.fetch(
        "SELECT DISTINCT shelter_id FROM placements WHERE status = 'held' AND hold_until <= $1",
        now,
    )
    return [row["shelter_id"] for row in rows]


async def shelter_view(conn: asyncpg.Connection, shelter_id: UUID) -> dict[str, Any] | None:
    row = await conn.fetchrow("SELECT * FROM shelters WHERE shelter_id = $1", shelter_id)
    if row is None:
        return None
    units = await conn.fetch(
        "SELECT * FROM units WHERE shelter_id = $1 ORDER BY name, unit_id", shelter_id
    )
    unit_views = [
        {
            "unit_id": str(unit["unit_id"]), "code": unit["code"], "name": unit["name"],
            "places": unit["places"],
            "held": unit["held"], "occupied": unit["occupied"],
            "free": unit["places"] - unit["held"] - unit["occupied"],
            "attributes": list(unit["attributes"]), "languages": list(unit["languages"]),
        }
        for unit in units
    ]  # fmt: skip
    return {
        "shelter_id": str(row["shelter_id"]), "code": row["code"], "name": row["name"],
        "kind": row["kind"],
        "district": row["district"], "status": row["status"], "max_nights": row["max_nights"],
        "available_from": row["available_from"].isoformat() if row["available_from"] else None,
        "available_until": row["available_until"].isoformat() if row["available_until"] else None,
        "beds": sum(unit["places"] for unit in unit_views),
        "held": sum(unit["held"] for unit in unit_views),
        "occupied": sum(unit["occupied"] for unit in unit_views),
        "free": sum(unit["free"] for unit in unit_views),
        "units": unit_views,
    }  # fmt: skip


def occupants_at(
    decider: Decider[ShelterCommand, Shelter], history: Sequence[RecordedEvent], at: datetime
) -> dict[str, Any]:
    """The shelter as it was at ``at``: the same fold that decides, stopped at that moment."""
    state = decider.fold([r.event for r in history if r.event.occurred_at <= at])
    named = (r.event for r in history if isinstance(r.event, ShelterDescribed))
    names = {unit.unit_id: unit.name for event in named for unit in event.unit_names}
    return {
        "at": at.isoformat(),
        "status": state.status,
        "occupants": [
            {"unit_id": str(unit_id), "unit": names.get(unit_id, ""), "bed_number": number,
             "person_id": str(place.person_id),
             "state": "checked_in" if place.checked_in else "held"}
            for (unit_id, number), place in sorted(
                state.places.items(), key=lambda item: (names.get(item[0][0], ""), item[0][1])
            )
        ],
    }  # fmt: skip
