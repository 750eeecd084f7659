"""Aid's consumer handler: a Kafka batch's arrivals and stays taken in together.

Of what intake and housing publish, aid takes in most as one command on one person's stream:
each member of an arrival registered, a bed held or a check-in recorded, a stay ended. One by
one, each cost the stream's read, the append, and the read and write of its read models' rows:
about four round trips a person, and in the Oral week aid takes in 100,000 people and their
stays. The events of a batch that follow each other and only decide so (a run) are decided
together instead, each on the state the ones before it left, their persons' erasures looked up
once: one read, one append, one projection, whatever the run's length
(``beneficiaries.decide_on_persons``).

Every other event (an erasure, a departure, a consent, a correction) ends the run: the run is
decided and appended first, so that the event reads the streams as the events before it left
them, and an erasure is never followed by a decision the run still held about that person.
Those events go through aid's routes as before (``unless_erased``: the erased are passed over).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from uuid import UUID

import asyncpg

from services.aid.app.beneficiaries import (
    PersonDecision,
    arrival_commands,
    decide_on_persons,
    leaving_command,
    resident_command,
)
from services.aid.domain.beneficiary import BeneficiaryCommand
from services.aid.erased_persons import erased_among
from shared.event_router import UnlessErased
from shared.eventstore import EventStore, event_metadata
from shared.incoming import IncomingEvent, Taken
from shared.schemas.base import DomainEvent
from shared.schemas.housing import (
    BedAssigned,
    BedReleased,
    HoldExpired,
    PersonCheckedIn,
    PersonCheckedOut,
    PlaceFreedOnConsentWithdrawal,
)
from shared.schemas.intake import ArrivalRegistered

#: the events that only decide on their persons' own streams
RESIDENCY = (BedAssigned, PersonCheckedIn)
STAY_ENDED = (PersonCheckedOut, BedReleased, HoldExpired, PlaceFreedOnConsentWithdrawal)
TOGETHER = (ArrivalRegistered, *RESIDENCY, *STAY_ENDED)


class AidHandler:
    """``routed`` (aid's routes, unless erased), with a batch's runs of arrivals and stays
    decided together. Called alone, it handles one event through ``routed``."""

    def __init__(self, store: EventStore, routed: UnlessErased) -> None:
        self._store, self._routed = store, routed

    async def __call__(self, conn: asyncpg.Connection, incoming: IncomingEvent) -> None:
        await self._routed(conn, incoming)

    async def handle_batch(self, conn: asyncpg.Connection, events: Sequence[Taken]) -> None:
        run: list[Taken] = []
        others: list[Taken] = []
        for taken in events:
            event = taken.incoming.event
            if isinstance(event, TOGETHER) and self._routed.takes(event):
                if others:
                    await self._routed.handle_batch(conn, others)
                    others = []
                run.append(taken)
            else:
                await self._decide_together(conn, run)
                run = []
                others.append(taken)
        await self._decide_together(conn, run)
        if others:
            await self._routed.handle_batch(conn, others)

    async def _decide_together(self, conn: asyncpg.Connection, run: Sequence[Taken]) -> None:
        if not run:
            return
        persons = list({person for taken in run for person in _persons(taken.incoming.event)})
        erased = await erased_among(conn, persons)
        decisions: list[PersonDecision] = []
        for taken in run:
            with taken.span():  # the decisions' events carry the trace of the event they follow
                metadata = event_metadata(taken.incoming.causation())
                commands = _commands(taken.incoming.event, erased, datetime.now(UTC))
                decisions += [(command, metadata) for command in commands]
        await decide_on_persons(conn, self._store, decisions)


def _persons(event: DomainEvent) -> list[UUID]:
    if isinstance(event, ArrivalRegistered):
        return [member.person_id for member in event.members]
    assert isinstance(event, RESIDENCY + STAY_ENDED)
    return [event.person_id]


def _commands(event: DomainEvent, erased: set[UUID], now: datetime) -> list[BeneficiaryCommand]:
    if isinstance(event, ArrivalRegistered):
        return arrival_commands(event, erased, now)
    assert isinstance(event, RESIDENCY + STAY_ENDED)
    if event.person_id in erased:
        return []
    if isinstance(event, RESIDENCY):
        return [resident_command(event, now)]
    return [leaving_command(event, now)]
