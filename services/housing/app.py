"""Housing's use cases: open a shelter; place an arrival (together when the group wants it)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

import asyncpg

from services.housing.domain import (
    AssignBeds,
    LeaveWaitlist,
    OpenShelter,
    ReleaseBed,
    ShelterFull,
    ShelterNotOpen,
    Waitlist,
    shelter,
    waitlist,
)
from shared.decider import execute
from shared.eventstore import Causation, EventStore
from shared.schemas.housing import ReleaseReason, ShelterKind
from shared.schemas.intake import ArrivalRegistered, MergeUndone

ACTOR = "service:housing"
#: how many candidate shelters to try before waitlisting (the read model may lag a conflict)
CANDIDATES = 10


async def open_shelter(
    conn: asyncpg.Connection,
    store: EventStore,
    *,
    name: str,
    kind: ShelterKind,
    district: str,
    beds: int,
    now: datetime,
) -> UUID:
    shelter_id = uuid4()
    command = OpenShelter(shelter_id, name, kind, district, beds, actor="operator", now=now)
    await execute(conn, store, shelter, str(shelter_id), command, Causation.new())
    return shelter_id


async def place_arrival(
    conn: asyncpg.Connection,
    store: EventStore,
    arrival: ArrivalRegistered | MergeUndone,
    causation: Causation,
    now: datetime,
) -> None:
    """Give every member a bed, the whole group in one shelter when it wants to stay together;
    whoever finds no bed joins the waitlist. A record restored from a merge is placed alone."""
    members = arrival.members if isinstance(arrival, ArrivalRegistered) else (arrival.member,)
    departed = await conn.fetch(
        "SELECT person_id FROM placements WHERE person_id = ANY($1) AND status = 'departed'",
        [member.person_id for member in members],
    )
    gone = {row["person_id"] for row in departed}  # left before their arrival reached us
    people = tuple(member.person_id for member in members if member.person_id not in gone)
    parties = [people] if arrival.keep_together else [(person,) for person in people]
    for party in filter(None, parties):
        if not await _place_party(conn, store, arrival.arrival_id, party, causation, now):
            reason = (
                f"no open shelter has {len(party)} free beds together"
                if len(party) > 1
                else "no free bed in any open shelter"
            )
            command = Waitlist(arrival.arrival_id, party, reason, actor=ACTOR, now=now)
            await execute(conn, store, waitlist, str(arrival.arrival_id), command, causation)


async def release_person(
    conn: asyncpg.Connection,
    store: EventStore,
    person_id: UUID,
    reason: ReleaseReason,
    causation: Causation,
    now: datetime,
) -> None:
    """Free the person's bed, or their place on the waitlist. A person housing has not heard
    of yet is remembered as gone, so their arrival, when it comes, does not place them."""
    placement = await conn.fetchrow(
        "SELECT status, shelter_id, arrival_id FROM placements WHERE person_id = $1", person_id
    )
    if placement is None:
        await conn.execute(
            "INSERT INTO placements (person_id, arrival_id, status, reason, since, correlation_id)"
            " VALUES ($1, NULL, 'departed', $2, $3, $4) ON CONFLICT DO NOTHING",
            person_id, reason, now, causation.correlation_id,
        )  # fmt: skip
    elif placement["status"] == "placed":
        command = ReleaseBed(placement["shelter_id"], person_id, reason, actor=ACTOR, now=now)
        await execute(conn, store, shelter, str(placement["shelter_id"]), command, causation)
    elif placement["status"] == "waiting":
        leave = LeaveWaitlist(placement["arrival_id"], person_id, reason, actor=ACTOR, now=now)
        await execute(conn, store, waitlist, str(placement["arrival_id"]), leave, causation)


async def _place_party(
    conn: asyncpg.Connection,
    store: EventStore,
    arrival_id: UUID,
    party: tuple[UUID, ...],
    causation: Causation,
    now: datetime,
) -> bool:
    # best fit: the fullest shelter that still takes the whole party keeps room for big groups
    candidates = await conn.fetch(
        """
        SELECT shelter_id FROM shelters WHERE beds - occupied >= $1
        ORDER BY beds - occupied, opened_at, shelter_id LIMIT $2
        """,
        len(party),
        CANDIDATES,
    )
    for candidate in candidates:
        command = AssignBeds(candidate["shelter_id"], arrival_id, party, actor=ACTOR, now=now)
        try:
            await execute(conn, store, shelter, str(candidate["shelter_id"]), command, causation)
        except (ShelterFull, ShelterNotOpen):
            continue
        return True
    return False
