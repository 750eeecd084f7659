"""The arrivals of one Kafka batch placed together: where their people stand and which units
are free are read once for all of them, each shelter's stream once, and every hold and
waitlisting they get is appended in one statement (projected at once, shared.appending).

Placing each arrival on its own cost seven round trips (where its people stand, the free
units, the shelter's stream, the append and its projection's three) and re-read the shelter
events appended for the arrival before it in the same transaction; that was most of
housing's work in a burst of arrivals. The decisions are the same as placing.place_members
makes, in the same order: each arrival is decided on the shelters' states as the arrivals
before it left them, the shelter deciders have the last word, and the append's version check
refuses the whole batch if another writer moved a stream meanwhile (the consumer then handles
the events one by one).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
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
from services.housing.domain.ranking import UnitsOnOffer, rank_shelters
from services.housing.domain.shelter import AssignPlaces, NoFittingPlace, ShelterNotOpen, shelter
from services.housing.domain.shelter_state import Shelter
from services.housing.domain.waitlist import Waitlist, waitlist
from services.housing.placing import ACTOR, CANDIDATES, Holds
from services.housing.queries import units_with_free_places, where_they_stand
from shared.decider import load_state
from shared.decision import Decider
from shared.eventstore import Causation, EventStore, event_metadata
from shared.schemas.base import DomainEvent
from shared.schemas.intake import ArrivalRegistered, ConsentPurpose
from shared.schemas.shelters import UnitAttribute


@dataclass
class _Stream:
    """One stream as this run leaves it: its state, the version it was read at, and the
    events decided on it since (each with its own metadata)."""

    decider: Decider[Any, Any]
    state: Any
    version: int
    decided: list[tuple[DomainEvent, dict[str, Any]]] = field(default_factory=list)


def offers_of(shelter_id: UUID, state: Shelter) -> list[UnitsOnOffer]:
    """What a shelter has free, per kind of unit, as its state says (the read model's
    units_with_free_places, for a shelter this run has decided on)."""
    kinds: dict[frozenset[UnitAttribute], list[int]] = {}
    for unit_id, unit in state.units.items():
        free = state.beds.free_count(unit_id, unit.places)
        if free > 0:
            kinds.setdefault(frozenset(unit.attributes), []).append(free)
    return [
        UnitsOnOffer(shelter_id, state.status, state.period, sum(free), max(free), attributes)
        for attributes, free in kinds.items()
    ]


class ArrivalRun:
    """Arrivals placed together in the caller's transaction: ``place`` each, in order, then
    ``append`` once."""

    def __init__(
        self,
        conn: asyncpg.Connection,
        store: EventStore,
        holds: Holds,
        statuses: dict[UUID, str],
        erased: set[UUID],
        offers: list[UnitsOnOffer],
    ) -> None:
        self._conn, self._store, self._holds = conn, store, holds
        self._statuses, self._erased = statuses, erased
        self._offers = offers
        self._streams: dict[str, _Stream] = {}
        self._causation: Causation | None = None

    @classmethod
    async def read(
        cls,
        conn: asyncpg.Connection,
        store: EventStore,
        holds: Holds,
        arrivals: Sequence[ArrivalRegistered],
    ) -> ArrivalRun:
        """The facts every arrival of the run needs, in two round trips for all of them."""
        people = [member.person_id for arrival in arrivals for member in arrival.members]
        statuses, erased = await where_they_stand(conn, people)
        offers = await units_with_free_places(conn, datetime.now(UTC).date())
        return cls(conn, store, holds, statuses, erased, offers)

    async def place(self, arrival: ArrivalRegistered, causation: Causation, now: datetime) -> None:
        """As placing.place_arrival: every member who agreed to housing gets a place (the
        group in one unit or shelter when it keeps together), or waits. Called inside the
        arrival's processing span: its events carry that trace."""
        if not arrival.agreed_to(ConsentPurpose.HOUSING):
            return
        metadata = event_metadata(causation)
        self._causation = self._causation or causation
        present = to_place(arrival.members, self._statuses, self._erased, NOT_PLACED_ON_ARRIVAL)
        for party in parties(present, arrival.keep_together):
            people = tuple(member.person_id for member in party)
            needs = requirements_of(party)
            placed = False
            for candidate in rank_shelters(
                self._offers, len(people), needs, now.date(), CANDIDATES
            ):
                command = AssignPlaces(
                    candidate, arrival.arrival_id, people, needs, now + self._holds.arrival,
                    ACTOR, now,
                )  # fmt: skip
                try:
                    await self._decide(shelter, str(candidate), command, metadata)
                    placed = True
                except (NoFittingPlace, ShelterNotOpen):
                    pass
                self._offer_again(candidate)  # the read model may have lagged its state
                if placed:
                    break
            if not placed:
                command_ = Waitlist(
                    arrival.arrival_id, people, waitlist_reason(len(people)),
                    arrival.keep_together and len(people) > 1, is_vulnerable(party), needs,
                    ACTOR, now,
                )  # fmt: skip
                # an arrival's waitlist stream is new but for a rare consent that came first
                # (consent.take_in): then the append fails on its version and the consumer
                # handles the batch's events one by one, which reads it
                await self._decide(
                    waitlist, str(arrival.arrival_id), command_, metadata, new_stream=True
                )
            for person in people:
                self._statuses[person] = "held" if placed else "waiting"

    async def _decide(
        self,
        decider: Decider[Any, Any],
        stream_id: str,
        command: object,
        metadata: dict[str, Any],
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
        stream.decided += [(event, metadata) for event in events]

    def _offer_again(self, shelter_id: UUID) -> None:
        """The shelter's free units as its state now says, for the next arrival's ranking."""
        state = self._streams[str(shelter_id)].state
        others = [offer for offer in self._offers if offer.shelter_id != shelter_id]
        self._offers = others + offers_of(shelter_id, state)

    async def append(self) -> None:
        """Every event decided, each stream after the version it was read at, in one append."""
        streams = [(stream_id, one) for stream_id, one in self._streams.items() if one.decided]
        if not streams or self._causation is None:
            return
        appends = [
            (stream_id, one.version, [event for event, _ in one.decided])
            for stream_id, one in streams
        ]
        each = [metadata for _, one in streams for _, metadata in one.decided]
        await self._store.append_streams(self._conn, appends, self._causation, each=each)
