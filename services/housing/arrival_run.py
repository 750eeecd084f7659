"""Placing people on the shelters' states as this transaction leaves them: the one path by which
housing decides who gets which place. An arrival's members (together when the group wants it),
the arrivals of one Kafka batch at once, a restored record, a consent given after registration,
and waiting parties when places free up all go through ArrivalRun; a run of one arrival is the
one-at-a-time case (placing.place_arrival, consent.take_in).

Where the run's people stand and which units are free are read once for all of them, each
stream once, and every hold and waitlisting they get is appended in one statement: placing
each arrival on its own cost seven round trips and re-read the shelter events appended for the
arrival before it. Each arrival is decided on the shelters' states as the arrivals before it
left them, the shelter deciders have the last word, and the append's version check refuses the
whole run if another writer moved a stream meanwhile (the consumer then handles a batch's
events one by one).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import reduce
from typing import Any
from uuid import UUID

import asyncpg

from services.housing.domain.fit import is_vulnerable, requirements_of
from services.housing.domain.person import (
    NOT_PLACED_ON_ARRIVAL,
    parties,
    to_place,
    waitlist_reason,
)
from services.housing.domain.ranking import Ranking, UnitsOnOffer, offers_of
from services.housing.domain.shelter import AssignPlaces, NoFittingPlace, ShelterNotOpen, shelter
from services.housing.domain.waitlist import Waitlist, waitlist
from services.housing.queries import units_with_free_places, where_they_stand
from shared.decider import load_state
from shared.decision import Decider
from shared.eventstore import Causation, EventStore, event_metadata
from shared.schemas.base import DomainEvent
from shared.schemas.intake import ArrivalRegistered, ArrivingMember, ConsentPurpose, MergeUndone
from shared.schemas.shelters import Requirements

ACTOR = "service:housing"
#: candidate shelters tried before waitlisting (the read model may lag a conflict)
CANDIDATES = 10


class Holds:
    """How long a place is kept for someone who has not checked in yet."""

    def __init__(self, arrival: timedelta, waitlist: timedelta) -> None:
        self.arrival = arrival
        self.waitlist = waitlist


@dataclass
class _Stream:
    """One stream as this run leaves it: its state, the version it was read (or last appended)
    at, and the events decided on it since (each with its own metadata)."""

    decider: Decider[Any, Any]
    state: Any
    version: int
    decided: list[tuple[DomainEvent, dict[str, Any]]] = field(default_factory=list)


def members_to_place(arrival: ArrivalRegistered | MergeUndone) -> Sequence[ArrivingMember]:
    """The members housing places: none unless they agreed to housing (the others are not kept
    at all); a restored record (MergeUndone) is placed alone."""
    if not arrival.agreed_to(ConsentPurpose.HOUSING):
        return ()
    return arrival.members if isinstance(arrival, ArrivalRegistered) else (arrival.member,)


class ArrivalRun:
    """People placed in the caller's transaction: ``place`` (or ``place_party``) each, in
    order, then ``append``, which may be called again after more decisions.

    ``waitlists_may_exist``: an arrival's waitlist stream is read before it is decided on. Off
    for a batch (the stream is new but for a rare consent that came first, consent.take_in:
    then the append fails on its version and the consumer handles the batch's events one by
    one, which reads it); on for every one-at-a-time case."""

    def __init__(
        self,
        conn: asyncpg.Connection,
        store: EventStore,
        holds: Holds,
        statuses: dict[UUID, str] | None = None,
        erased: set[UUID] | None = None,
        *,
        offers: list[UnitsOnOffer] | None = None,
        waitlists_may_exist: bool = True,
    ) -> None:
        self._conn, self._store, self._holds = conn, store, holds
        self._statuses, self._erased = statuses or {}, erased or set()
        # the free units (read when the first party is ranked), ranked for each kind of party:
        # a shelter decided on is moved in the ranking without a pass over the whole town's
        self._offers = offers
        self._ranking: Ranking | None = None
        self._waitlists_may_exist = waitlists_may_exist
        self._streams: dict[str, _Stream] = {}
        self._causation: Causation | None = None

    @classmethod
    async def read(
        cls,
        conn: asyncpg.Connection,
        store: EventStore,
        holds: Holds,
        people: Collection[UUID],
        *,
        waitlists_may_exist: bool = True,
    ) -> ArrivalRun:
        """A run for these people: where they stand, in one round trip (none if nobody)."""
        statuses, erased = await where_they_stand(conn, list(people)) if people else ({}, set())
        return cls(conn, store, holds, statuses, erased, waitlists_may_exist=waitlists_may_exist)

    @property
    def offers(self) -> list[UnitsOnOffer]:
        """The free units as the run leaves them (those read, then as decided on)."""
        if self._ranking is not None:
            return self._ranking.offers
        return list(self._offers or ())

    async def place(
        self, arrival: ArrivalRegistered | MergeUndone, causation: Causation, now: datetime
    ) -> None:
        """Every member who agreed to housing gets a place (the group in one unit or shelter
        when it keeps together), or waits. Called inside the arrival's processing span (if
        any): its events carry that trace."""
        members, together = members_to_place(arrival), arrival.keep_together
        await self.place_members(
            arrival.arrival_id, members, together, NOT_PLACED_ON_ARRIVAL, causation, now
        )

    async def place_members(
        self,
        arrival_id: UUID,
        members: Sequence[ArrivingMember],
        keep_together: bool,
        not_placed: Collection[str],
        causation: Causation,
        now: datetime,
    ) -> None:
        """Hold places for the members (one party when they keep together), or waitlist them;
        members whose placement is in one of the ``not_placed`` statuses, or who were erased,
        are left out."""
        present = to_place(members, self._statuses, self._erased, not_placed)
        for party in parties(present, keep_together):
            people = tuple(member.person_id for member in party)
            needs = requirements_of(party)
            until = now + self._holds.arrival
            placed = await self.place_party(arrival_id, people, needs, until, causation, now)
            if not placed:
                command = Waitlist(
                    arrival_id, people, waitlist_reason(len(people)),
                    keep_together and len(people) > 1, is_vulnerable(party), needs, ACTOR, now,
                )  # fmt: skip
                await self.decide(waitlist, str(arrival_id), command, causation,
                                  new_stream=not self._waitlists_may_exist)  # fmt: skip
            for person in people:
                self._statuses[person] = "held" if placed else "waiting"

    async def place_party(
        self,
        arrival_id: UUID,
        people: tuple[UUID, ...],
        needs: Requirements,
        hold_until: datetime,
        causation: Causation,
        now: datetime,
    ) -> bool:
        """Hold places for the party in the first fitting shelter of those on offer; False if
        none would take it."""
        ranking = await self._ranking_on(now.date())
        for candidate in ranking.best(len(people), needs, CANDIDATES):
            command = AssignPlaces(candidate, arrival_id, people, needs, hold_until, ACTOR, now)
            try:
                await self.decide(shelter, str(candidate), command, causation)
            except (NoFittingPlace, ShelterNotOpen):
                self._offer_again(candidate)  # the read model may have lagged its state
                continue
            self._offer_again(candidate)
            return True
        return False

    async def decide(
        self,
        decider: Decider[Any, Any],
        stream_id: str,
        command: object,
        causation: Causation,
        *,
        new_stream: bool = False,
    ) -> None:
        """Decide on the stream as this run left it (read once, the first time; not at all if
        ``new_stream``: the append's version check refuses if it existed after all)."""
        stream = self._streams.get(stream_id)
        if stream is None:
            state, version = (
                (decider.initial_state, 0)
                if new_stream
                else await load_state(self._conn, self._store, decider, stream_id)
            )
            stream = self._streams[stream_id] = _Stream(decider, state, version)
        events = decider.decide(command, stream.state)
        stream.state = reduce(decider.evolve, events, stream.state)
        self._causation = self._causation or causation
        metadata = event_metadata(causation)
        stream.decided += [(event, metadata) for event in events]

    async def _ranking_on(self, day: date) -> Ranking:
        if self._ranking is None:
            offers = self._offers
            if offers is None:
                offers = await units_with_free_places(self._conn, day)
            self._ranking = Ranking(offers, day)
        elif self._ranking.day != day:  # a run that goes past midnight ranks its offers anew
            self._ranking = Ranking(self._ranking.offers, day)
        return self._ranking

    def _offer_again(self, shelter_id: UUID) -> None:
        """The shelter's free units as its state now says, for the next party's ranking."""
        state = self._streams[str(shelter_id)].state
        assert self._ranking is not None, "only a shelter the ranking offered is decided on"
        self._ranking.replace(shelter_id, offers_of(shelter_id, state))

    async def append(self) -> None:
        """Every event decided since the last append, each stream after the version it was read
        (or last appended) at, in one statement."""
        streams = [(stream_id, one) for stream_id, one in self._streams.items() if one.decided]
        if not streams or self._causation is None:
            return
        appends = [
            (stream_id, one.version, [event for event, _ in one.decided])
            for stream_id, one in streams
        ]
        each = [metadata for _, one in streams for _, metadata in one.decided]
        await self._store.append_streams(self._conn, appends, self._causation, each=each)
        for _, one in streams:
            one.version += len(one.decided)
            one.decided = []
        self._causation = None
