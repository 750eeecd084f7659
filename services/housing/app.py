"""Housing's use cases: open shelters and host offers, change them, check in and out,
release, move, expire holds; each passes the places it frees on to the waitlist
(services/housing/placing.py, which also places arrivals). The shelter deciders are the
authority; the read models only give the facts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID, uuid4

import asyncpg

from services.housing.arrival_run import ACTOR, Holds
from services.housing.domain.departure import RememberDeparture, departure
from services.housing.domain.person import HOST_WITHDREW, may_move, on_leaving
from services.housing.domain.shelter import (
    AssignPlaces,
    CheckIn,
    ExpireHolds,
    OfferHostPlace,
    OpenShelter,
    Release,
    ShelterCommand,
    WithdrawHostOffer,
    shelter,
)
from services.housing.domain.waitlist import LeaveWaitlist, Waitlist, waitlist
from services.housing.events import PersonMoved, UnitName
from services.housing.notes import keep_move_note
from services.housing.placing import decide_on_shelter, offer_free_places
from services.housing.queries import placement_of, placements_of
from shared.decider import decide_on_streams, execute
from shared.eventstore import Causation, EventStore, event_metadata
from shared.schemas.housing import BedReleased, PersonCheckedOut
from shared.schemas.shelters import Requirements, ShelterKind, Unit


async def open_shelter(
    conn: asyncpg.Connection,
    store: EventStore,
    holds: Holds,
    *,
    name: str,
    kind: ShelterKind,
    district: str,
    units: Sequence[tuple[Unit, UnitName]],
    max_nights: int | None,
    contact_partner_id: str | None,
    actor: str,
    now: datetime,
    code: str | None = None,
) -> UUID:
    shelter_id = uuid4()
    command = OpenShelter(shelter_id, name, kind, district, contact_partner_id, max_nights,
                          tuple(unit for unit, _ in units), actor, now,
                          tuple(named for _, named in units), code)  # fmt: skip
    causation = Causation.new()
    await decide_on_shelter(conn, store, command, causation)
    await offer_free_places(conn, store, holds, shelter_id, causation, now)
    return shelter_id


async def offer_host_place(
    conn: asyncpg.Connection,
    store: EventStore,
    *,
    partner_id: str,
    district: str,
    unit: Unit,
    available_from: date,
    available_until: date,
    actor: str,
    now: datetime,
) -> UUID:
    shelter_id = uuid4()
    command = OfferHostPlace(shelter_id, partner_id, district, unit, available_from,
                             available_until, actor, now)  # fmt: skip
    await decide_on_shelter(conn, store, command, Causation.new())
    return shelter_id


async def change_shelter(
    conn: asyncpg.Connection,
    store: EventStore,
    holds: Holds,
    command: ShelterCommand,
) -> int:
    """Verify or withdraw a host offer, add a unit, change capacity, close or reopen, check a
    person out; then pass on whatever places that freed or opened."""
    causation = Causation.new()
    recorded = await decide_on_shelter(conn, store, command, causation)
    if isinstance(command, WithdrawHostOffer):
        for event in recorded:  # the people there need a place elsewhere
            if isinstance(event.event, PersonCheckedOut | BedReleased):
                await _replace(conn, store, event.event.person_id, causation, command.now)
    await offer_free_places(conn, store, holds, command.shelter_id, causation, command.now)
    return len(recorded)


async def release_person(
    conn: asyncpg.Connection,
    store: EventStore,
    holds: Holds,
    person_id: UUID,
    reason: Literal["departed", "merged"],
    causation: Causation,
    now: datetime,
) -> None:
    """Free the person's place, or their place on the waitlist, and pass the place on. A
    person housing has not heard of yet is remembered as gone, so their arrival, when it
    comes, does not place them."""
    leaving = Leaving(person_id, reason, causation, event_metadata(causation))
    await release_persons(conn, store, holds, [leaving], now)


@dataclass(frozen=True)
class Leaving:
    """A person gone (departed, or merged away as a duplicate), with what the events their
    leaving causes record of why: ``metadata`` (``event_metadata``) and the span to pass their
    places on in, both of the event that said so."""

    person_id: UUID
    reason: Literal["departed", "merged"]
    causation: Causation
    metadata: dict[str, Any]
    span: Callable[[], AbstractContextManager[Any]] = nullcontext


async def release_persons(
    conn: asyncpg.Connection,
    store: EventStore,
    holds: Holds,
    leaving: Sequence[Leaving],
    now: datetime,
) -> None:
    """``release_person`` for several people at once (each once), in a few statements however
    many: their placements read in one, the releases of each shelter decided on it in one read
    and one append for all shelters (likewise the departures remembered and the waitlists
    left), then each shelter that freed a place passes its places on once. One by one, the
    Oral week's departures cost housing a read, an append and an offer each."""
    placements = await placements_of(conn, [one.person_id for one in leaving])
    releases: list[tuple[str, ShelterCommand, dict[str, Any]]] = []
    remembered: list[tuple[str, RememberDeparture, dict[str, Any]]] = []
    left: list[tuple[str, LeaveWaitlist, dict[str, Any]]] = []
    freed: dict[UUID, Leaving] = {}
    for one in leaving:
        person, reason, metadata = one.person_id, one.reason, one.metadata
        placement = placements.get(person)
        step = on_leaving(placement.status if placement else None, reason)
        if step == "remember_departure":
            remember = RememberDeparture(person, reason, ACTOR, now)
            remembered.append((str(person), remember, metadata))
        elif step == "free_place" and placement and placement.shelter_id:
            release = Release(placement.shelter_id, person, reason, ACTOR, now)
            releases.append((str(placement.shelter_id), release, metadata))
            freed.setdefault(placement.shelter_id, one)
        elif step == "leave_waitlist" and placement and placement.arrival_id:
            leave = LeaveWaitlist(placement.arrival_id, person, reason, ACTOR, now)
            left.append((str(placement.arrival_id), leave, metadata))
    await decide_on_streams(conn, store, shelter, releases)
    await decide_on_streams(conn, store, departure, remembered)
    await decide_on_streams(conn, store, waitlist, left)
    for shelter_id, first in freed.items():
        with first.span():
            await offer_free_places(conn, store, holds, shelter_id, first.causation, now)


async def _replace(
    conn: asyncpg.Connection,
    store: EventStore,
    person_id: UUID,
    causation: Causation,
    now: datetime,
) -> None:
    """Someone lost their place through no doing of theirs: back on the waitlist, first."""
    placement = await placement_of(conn, person_id)
    if placement is None or placement.arrival_id is None:
        return
    command = Waitlist(placement.arrival_id, (person_id,), HOST_WITHDREW, False, True,
                       Requirements(), ACTOR, now)  # fmt: skip
    await execute(conn, store, waitlist, str(placement.arrival_id), command, causation)


async def check_in(
    conn: asyncpg.Connection,
    store: EventStore,
    shelter_id: UUID,
    person_id: UUID,
    actor: str,
    now: datetime,
) -> int:
    command = CheckIn(shelter_id, person_id, actor, now)
    return len(await decide_on_shelter(conn, store, command, Causation.new()))


async def move_person(
    conn: asyncpg.Connection,
    store: EventStore,
    holds: Holds,
    person_id: UUID,
    to_shelter: UUID,
    reason: str,
    actor: str,
    now: datetime,
) -> bool:
    """An operator moves a person: their place here is freed, one there is held (and taken at
    once when they were checked in). All or nothing."""
    placement = await placement_of(conn, person_id)
    if placement is None or not may_move(placement.status):
        return False
    if placement.shelter_id is None or placement.arrival_id is None:
        return False  # a place is always held for someone of an arrival, in a shelter
    causation = Causation.new()
    origin = placement.shelter_id
    release = Release(origin, person_id, "moved", actor, now, moved=True)
    for recorded in await decide_on_shelter(conn, store, release, causation):
        if isinstance(recorded.event, PersonMoved):
            await keep_move_note(conn, person_id, recorded.global_position, reason)
    command = AssignPlaces(to_shelter, placement.arrival_id, (person_id,),
                           placement.requirements, now + holds.waitlist, actor, now)  # fmt: skip
    await decide_on_shelter(conn, store, command, causation)
    if placement.status == "checked_in":
        await decide_on_shelter(conn, store, CheckIn(to_shelter, person_id, actor, now), causation)
    await offer_free_places(conn, store, holds, origin, causation, now)
    return True


async def expire_holds(
    conn: asyncpg.Connection, store: EventStore, holds: Holds, shelter_id: UUID, now: datetime
) -> int:
    """No-shows lose their hold; the places pass on to the waitlist."""
    causation = Causation.new()
    expired = await decide_on_shelter(conn, store, ExpireHolds(shelter_id, ACTOR, now), causation)
    if expired:
        await offer_free_places(conn, store, holds, shelter_id, causation, now)
    return len(expired)
