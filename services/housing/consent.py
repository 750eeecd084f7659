"""Housing and the consent to housing: a consent given after registration takes the person in
as if they arrived now; one withdrawn frees their place (it passes on, as on a departure),
takes them off the waitlist and forgets them, as an erasure does (services/housing/erasure.py).
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from services.housing import notes
from services.housing.arrival_run import ACTOR, ArrivalRun, Holds
from services.housing.domain.person import HOUSED, NOT_PLACED_ON_CONSENT
from services.housing.domain.shelter import FreeWithoutConsent
from services.housing.domain.waitlist import Forget, waitlist
from services.housing.placing import decide_on_shelter, offer_free_places
from services.housing.queries import placement_of
from shared.decider import execute
from shared.eventstore import Causation, EventStore
from shared.idempotency import FORGOTTEN_ANSWER
from shared.schemas.base import DomainEvent
from shared.schemas.intake import (
    ConsentGiven,
    ConsentPurpose,
    ConsentWithdrawn,
    brings_someone,
    passes_by,
)


def passes_housing_by(event: DomainEvent) -> bool:
    """A consent housing does nothing with (shared.schemas.intake.passes_by)."""
    return passes_by(event, ConsentPurpose.HOUSING)


async def take_in(
    conn: asyncpg.Connection,
    store: EventStore,
    holds: Holds,
    given: ConsentGiven,
    causation: Causation,
    now: datetime,
) -> None:
    """A consent to housing given after registration: the person is placed on their own, as
    if they arrived now. One that came with the arrival carries no facts: the arrival does."""
    # (brings_someone checks both; they are named again for the type checker)
    if not brings_someone(given, ConsentPurpose.HOUSING) or not (given.member and given.arrival_id):
        return
    member = given.member
    run = await ArrivalRun.read(conn, store, holds, [member.person_id])
    await run.place_members(
        given.arrival_id, (member,), False, NOT_PLACED_ON_CONSENT, causation, now
    )
    await run.append()


async def forget_person(
    conn: asyncpg.Connection,
    store: EventStore,
    holds: Holds,
    withdrawn: ConsentWithdrawn,
    causation: Causation,
    now: datetime,
) -> None:
    """The person withdrew their consent to housing: their place is freed and passes on (as on
    a departure), they leave the waitlist, and housing forgets them: the operators' notes about
    them and the stored requests that carried them go too (a retry is answered 410). Recorded
    even before their arrival reaches housing, so that it does not place them then."""
    if withdrawn.purpose != ConsentPurpose.HOUSING:
        return
    await release_and_forget(
        conn, store, holds, withdrawn.person_id, withdrawn.arrival_id, causation, now
    )
    await notes.forget_person(conn, withdrawn.person_id, FORGOTTEN_ANSWER)


async def release_and_forget(
    conn: asyncpg.Connection,
    store: EventStore,
    holds: Holds,
    person_id: UUID,
    arrival_id: UUID | None,
    causation: Causation,
    now: datetime,
) -> None:
    """Free the person's place (it passes on), take them off the waitlist and shrink what the
    read models keep of them to a tombstone (``PersonForgotten``). ``arrival_id``: theirs,
    when housing may not have heard of them yet."""
    placement = await placement_of(conn, person_id)
    arrival_id = (placement and placement.arrival_id) or arrival_id
    if arrival_id is None:
        return  # someone housing never placed, nor heard of with their arrival
    freed = placement.shelter_id if placement and placement.status in HOUSED else None
    if freed is not None:
        command = FreeWithoutConsent(freed, person_id, ACTOR, now)
        await decide_on_shelter(conn, store, command, causation)
    forget = Forget(arrival_id, person_id, ACTOR, now)
    await execute(conn, store, waitlist, str(arrival_id), forget, causation)
    if freed is not None:
        await offer_free_places(conn, store, holds, freed, causation, now)
