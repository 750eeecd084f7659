"""Placing people: an arrival's members (together when the group wants it), and waiting
parties when places free up. Which shelters to ask and in which order the waitlist is served are
rules of services/housing/domain; the shelter deciders have the last word, the read models only
give the facts."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing
from datetime import datetime
from uuid import UUID

import asyncpg

from services.housing.arrival_run import ACTOR, ArrivalRun, Holds, members_to_place
from services.housing.domain.person import all_still_waiting
from services.housing.domain.ranking import WhatFits, rank_shelters, what_fits
from services.housing.domain.shelter import ShelterCommand, shelter
from services.housing.domain.waitlist import LeaveWaitlist, waitlist
from services.housing.domain.waitlist_order import WaitingParty, first_parties
from services.housing.queries import (
    head_of_waitlist,
    lock_waiting_party,
    statuses_of,
    units_with_free_places,
    waiting_together,
)
from shared.decider import execute
from shared.eventstore import Causation, EventStore, RecordedEvent
from shared.schemas.intake import ArrivalRegistered, MergeUndone

#: waiting parties looked at when places free up, per shelter and occasion
WAITLIST_SCAN = 200
#: people of the waitlist's head read first when places free up (then four times more)
FIRST_LOOK = 16


async def decide_on_shelter(
    conn: asyncpg.Connection, store: EventStore, command: ShelterCommand, causation: Causation
) -> list[RecordedEvent]:
    return await execute(conn, store, shelter, str(command.shelter_id), command, causation)


async def place_arrival(
    conn: asyncpg.Connection,
    store: EventStore,
    holds: Holds,
    arrival: ArrivalRegistered | MergeUndone,
    causation: Causation,
    now: datetime,
) -> None:
    """Give every member who agreed to housing a place, the whole group (of those) in one unit
    (or one shelter) when it wants to stay together; who finds none joins the waitlist. A
    restored record is placed alone. Members without the consent are not kept at all. A run
    of one arrival (arrival_run.py), as a batch's arrivals are placed together."""
    people = [member.person_id for member in members_to_place(arrival)]
    run = await ArrivalRun.read(conn, store, holds, people)
    await run.place(arrival, causation, now)
    await run.append()


async def waiting_parties(
    conn: asyncpg.Connection, most: int, fitting: WhatFits | None = None
) -> AsyncGenerator[WaitingParty, None]:
    """The waitlist's parties in its order, at most ``most``, read from its head a few people
    at first and four times more each time the caller wants more (groups that keep together
    come whole). A freed place usually goes to one of the first parties: reading the first
    two hundred parties for every place freed was most of housing's work once the town was
    full. Parties placed meanwhile drop out of the head; one already given is not again. With
    ``fitting``, parties of more people than are free, and people who need what is not on
    offer, are passed over in the read: once the head was groups waiting for room together,
    and the vulnerable needing special rooms, every place freed read a thousand people to
    find one who fits."""
    given: set[tuple[UUID, tuple[UUID, ...]]] = set()
    people = min(FIRST_LOOK, most)
    while True:
        head = await head_of_waitlist(conn, people, fitting)
        groups = {person.arrival_id for person in head if person.keep_together}
        together = await waiting_together(conn, groups) if groups else []
        for party in first_parties(head, together):
            if (party.arrival_id, party.person_ids) in given:
                continue
            given.add((party.arrival_id, party.person_ids))
            yield party
            if len(given) >= most:
                return
        if len(head) < people:
            return
        people *= 4


async def offer_free_places(
    conn: asyncpg.Connection,
    store: EventStore,
    holds: Holds,
    shelter_id: UUID,
    causation: Causation,
    now: datetime,
) -> int:
    """Hold freed places for the first fitting waiting parties, in the waitlist's order;
    returns how many people got a hold. Only parties that fit what is free are locked and
    asked for, and the offering stops once the shelter is full."""
    given = 0
    free = await units_with_free_places(conn, now.date(), shelter_id)
    if not free:
        return 0
    run = ArrivalRun(conn, store, holds, offers=free)
    # no party of more people than are free now can get places (fewer may be free later), nor
    # one needing what none of them gives
    fitting = what_fits(free, now.date())
    async with aclosing(waiting_parties(conn, WAITLIST_SCAN, fitting)) as parties:
        async for party in parties:
            people, arrival_id, needs = party.person_ids, party.arrival_id, party.requirements
            if not rank_shelters(run.offers, len(people), needs, now.date(), 1):
                continue  # what is free does not fit them: the next may fit
            await lock_waiting_party(conn, arrival_id)
            if not all_still_waiting(people, await statuses_of(conn, people)):
                continue  # another transaction placed them while this one waited for the lock
            until = now + holds.waitlist
            if not await run.place_party(arrival_id, people, needs, until, causation, now):
                continue
            given += len(people)
            for one in people:
                leave = LeaveWaitlist(arrival_id, one, "placed", ACTOR, now)
                await run.decide(waitlist, str(arrival_id), leave, causation)
            await run.append()  # the waitlist's head is read from what the party left
            if not run.offers:
                break
    return given
