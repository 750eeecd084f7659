"""Housing's use cases: open a shelter; place an arrival (together when the group wants it)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

import asyncpg

from services.housing.domain import (
    AssignBeds,
    OpenShelter,
    ShelterFull,
    ShelterNotOpen,
    Waitlist,
    shelter,
    waitlist,
)
from shared.decider import execute
from shared.eventstore import Causation, EventStore
from shared.schemas.housing import ShelterKind
from shared.schemas.intake import ArrivalRegistered

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
    arrival: ArrivalRegistered,
    causation: Causation,
    now: datetime,
) -> None:
    """Give every member a bed, the whole group in one shelter when it wants to stay together;
    whoever finds no bed joins the waitlist."""
    people = tuple(member.person_id for member in arrival.members)
    parties = [people] if arrival.keep_together else [(person,) for person in people]
    for party in parties:
        if not await _place_party(conn, store, arrival.arrival_id, party, causation, now):
            reason = (
                f"no open shelter has {len(party)} free beds together"
                if len(party) > 1
                else "no free bed in any open shelter"
            )
            command = Waitlist(arrival.arrival_id, party, reason, actor=ACTOR, now=now)
            await execute(conn, store, waitlist, str(arrival.arrival_id), command, causation)


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
