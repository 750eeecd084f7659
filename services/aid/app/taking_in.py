"""Aid's consumer handler: a Kafka batch's arrivals, stays and departures taken in together.

Of what intake and housing publish, aid takes in most as one command on one person's stream:
each member of an arrival registered, a bed held or a check-in recorded, a stay ended, a
person's entitlements closed when they left (or were merged away as a duplicate). One by one,
each cost the stream's read, the append, and the read and write of its read models' rows:
about four round trips a person, and in the Oral week aid takes in 100,000 people, their stays
and tens of thousands of departures. The events of a batch that follow each other and only
decide so (a run) are decided together instead, each on the state the ones before it left,
their persons' erasures looked up once: one read, one append, one projection, whatever the
run's length (``beneficiaries.decide_on_persons``). The support requests still open of those
who left are then looked up in one statement and withdrawn (few have any), as
``beneficiaries.close_entitlements`` does for one.

Every other event aid acts on (an erasure, a consent given after registration or withdrawn, a
correction) ends the run: the run is decided and appended first, so that the event reads the
streams as the events before it left them, and an erasure is never followed by a decision the
run still held about that person. Those events go through aid's routes as before
(``unless_erased``: the erased are passed over). An event aid passes over ends no run: on
intake's topic each arrival is followed by its members' consents, which came with it and which
aid does nothing with; when they ended runs, each run was one arrival long.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from uuid import UUID

import asyncpg

from services.aid.app.beneficiaries import (
    PersonDecision,
    arrival_commands,
    closing_command,
    decide_on_persons,
    leaving_command,
    resident_command,
)
from services.aid.app.support import withdraw_requests
from services.aid.domain.beneficiary import BeneficiaryCommand
from services.aid.domain.support_request import WithdrawalReason
from services.aid.erased_persons import erased_among
from services.aid.matching_queries import open_requests_among
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
from shared.schemas.intake import ArrivalRegistered, PersonDeparted, PersonsMerged, person_gone

#: the events that only decide on their persons' own streams
RESIDENCY = (BedAssigned, PersonCheckedIn)
STAY_ENDED = (PersonCheckedOut, BedReleased, HoldExpired, PlaceFreedOnConsentWithdrawal)
#: a person left, or was a duplicate merged away: entitlements closed, open requests withdrawn
GONE = (PersonDeparted, PersonsMerged)
TOGETHER = (ArrivalRegistered, *RESIDENCY, *STAY_ENDED, *GONE)


class AidHandler:
    """``routed`` (aid's routes, unless erased), with a batch's runs of arrivals, stays and
    departures decided together. Called alone, it handles one event through ``routed``."""

    def __init__(self, store: EventStore, routed: UnlessErased) -> None:
        self._store, self._routed = store, routed

    async def __call__(self, conn: asyncpg.Connection, incoming: IncomingEvent) -> None:
        await self._routed(conn, incoming)

    async def handle_batch(self, conn: asyncpg.Connection, events: Sequence[Taken]) -> None:
        run: list[Taken] = []
        others: list[Taken] = []
        for taken in events:
            event = taken.incoming.event
            if not self._routed.takes(event):
                # passed over (a consent that came with its arrival, a type aid ignores): it
                # reads and decides nothing, so it ends no run
                with taken.span():
                    pass  # its trace still shows it was taken in
                continue
            if isinstance(event, TOGETHER):
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
        gone: list[tuple[Taken, UUID, WithdrawalReason]] = []
        for taken in run:
            event = taken.incoming.event
            with taken.span():  # the decisions' events carry the trace of the event they follow
                metadata = event_metadata(taken.incoming.causation())
                commands = _commands(event, erased, datetime.now(UTC))
                decisions += [(command, metadata) for command in commands]
            if isinstance(event, GONE) and commands:
                gone.append((taken, *person_gone(event)))
        await decide_on_persons(conn, self._store, decisions)
        await self._withdraw_requests(conn, gone)

    async def _withdraw_requests(
        self, conn: asyncpg.Connection, gone: Sequence[tuple[Taken, UUID, WithdrawalReason]]
    ) -> None:
        """The open support requests of the persons gone, withdrawn (their entitlements closed
        in the run before): looked up in one statement, and few have any."""
        if not gone:
            return
        found = await open_requests_among(conn, [person for _, person, _ in gone])
        for taken, person, reason in gone:
            if person in found:
                with taken.span():
                    await withdraw_requests(
                        conn, self._store, found.pop(person), reason, taken.incoming.causation(),
                        datetime.now(UTC),
                    )  # fmt: skip


def _persons(event: DomainEvent) -> list[UUID]:
    if isinstance(event, ArrivalRegistered):
        return [member.person_id for member in event.members]
    if isinstance(event, GONE):
        return [person_gone(event)[0]]
    assert isinstance(event, RESIDENCY + STAY_ENDED)
    return [event.person_id]


def _commands(event: DomainEvent, erased: set[UUID], now: datetime) -> list[BeneficiaryCommand]:
    if isinstance(event, ArrivalRegistered):
        return arrival_commands(event, erased, now)
    if isinstance(event, GONE):
        person, reason = person_gone(event)
        return [] if person in erased else [closing_command(person, reason, now)]
    assert isinstance(event, RESIDENCY + STAY_ENDED)
    if event.person_id in erased:
        return []
    if isinstance(event, RESIDENCY):
        return [resident_command(event, now)]
    return [leaving_command(event, now)]
