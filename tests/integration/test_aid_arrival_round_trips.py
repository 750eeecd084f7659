"""Aid takes an arrival in for a few database round trips, whatever the size of the group: its
people's streams are read in one statement and appended in one, their rows projected together.
A batch's arrivals and stays are taken in together alike (services/aid/app/taking_in.py).
Every statement of the consumer's transaction is counted on the real aid, Kafka and Postgres,
so a read and a write per person cannot creep back unnoticed (the Oral week's aid takes in
100,000 people)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import pytest

from services.aid.main import handler
from shared.incoming import IncomingEvent, Taken
from shared.schemas.base import DomainEvent
from shared.schemas.housing import BedAssigned, PersonCheckedIn, PersonCheckedOut
from shared.schemas.intake import (
    ArrivalRegistered,
    ConsentGiven,
    ConsentPurpose,
    DepartureReason,
    PersonDeparted,
    PersonErased,
)
from shared.topics import HOUSING_EVENTS, INTAKE_EVENTS
from tests.integration.aid_helpers import RunningAid, arrival_of, housing_event, running_aid
from tests.stack import Stack

pytestmark = pytest.mark.integration

#: the most round trips the consumer's transaction may cost for an arrival, of one or of six:
#: BEGIN; the inbox; the erased among its people; their streams read; the append; their
#: read models' rows read, and written; COMMIT
ROUND_TRIPS_PER_ARRIVAL = 8


@pytest.fixture
async def aid(stack: Stack, databases: dict[str, str], namespace: str) -> AsyncIterator[RunningAid]:
    async with running_aid(stack, databases, namespace) as running:
        yield running


@contextmanager
def transactions(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[list[str]]]:
    """The transactions run on connections the pool hands out while the block runs, each as
    its statements (the consumer's task too: nothing is inherited from the test's context)."""
    found: list[list[str]] = []
    original = asyncpg.Pool.acquire

    class Logged:
        def __init__(self, inner: Any) -> None:
            self._inner, self._statements = inner, list[str]()
            self._conn: Any = None

        def _record(self, query: Any) -> None:
            self._statements.append(" ".join(query.query.split())[:90])

        async def __aenter__(self) -> Any:
            self._conn = await self._inner.__aenter__()
            self._conn.add_query_logger(self._record)
            return self._conn

        async def __aexit__(self, *exc: Any) -> Any:
            self._conn.remove_query_logger(self._record)
            found.append(self._statements)
            return await self._inner.__aexit__(*exc)

        def __await__(self) -> Any:
            return self._inner.__await__()

    monkeypatch.setattr(
        asyncpg.Pool, "acquire", lambda pool, *a, **k: Logged(original(pool, *a, **k))
    )
    try:
        yield found
    finally:
        monkeypatch.setattr(asyncpg.Pool, "acquire", original)


#: what asyncpg sends the first time a connection meets a statement's types: once per
#: connection of the pool, whichever the consumer is handed
INTROSPECTION = ("typeinfo_tree", "'jit'")


def taking_in(found: list[list[str]]) -> list[str]:
    """The one consumer transaction among ``found`` (the one that recorded an inbox entry),
    without asyncpg's type introspection."""
    (statements,) = [one for one in found if any("INTO inbox" in s for s in one)]
    return [s for s in statements if not any(mark in s for mark in INTROSPECTION)]


async def test_an_arrival_of_six_costs_aid_as_many_round_trips_as_one_person(
    aid: RunningAid, monkeypatch: pytest.MonkeyPatch
) -> None:
    await aid.arrive(())  # the connection meets the statements' types once

    with transactions(monkeypatch) as alone:
        _, one = await aid.arrive(())
    with transactions(monkeypatch) as family:
        _, six = await aid.arrive(*[()] * 6)

    alone_statements, family_statements = taking_in(alone), taking_in(family)
    print(f"\nround trips: one person {len(alone_statements)}, six {len(family_statements)}")
    assert len(family_statements) <= ROUND_TRIPS_PER_ARRIVAL, "\n".join(family_statements)
    assert len(family_statements) == len(alone_statements), "\n".join(alone_statements)
    for person in [*one, *six]:  # each taken in, in the household of the arrival
        known = await aid.known(person)
        assert known["status"] == "registered", known


def taken(*events: DomainEvent) -> list[Taken]:
    return [
        Taken(IncomingEvent(uuid4(), topic_of(event), event, "c"), nullcontext) for event in events
    ]


def held(shelter: UUID, person: UUID) -> DomainEvent:
    until = datetime.now(UTC) + timedelta(hours=6)
    return housing_event(BedAssigned, shelter, person, arrival_id=uuid4(), hold_until=until)


def topic_of(event: DomainEvent) -> str:
    return HOUSING_EVENTS if type(event).__module__.endswith("housing") else INTAKE_EVENTS


async def handled_together(aid: RunningAid, events: list[DomainEvent]) -> list[str]:
    """The events through aid's handler as one batch, in one transaction; its statements."""
    sent: list[str] = []
    async with aid.pool.acquire() as conn:
        conn.add_query_logger(lambda query: sent.append(" ".join(query.query.split())[:90]))
        async with conn.transaction():
            await handler(aid.app.state.store).handle_batch(conn, taken(*events))
    return [one for one in sent if not any(mark in one for mark in INTROSPECTION)]


async def test_a_batch_of_arrivals_and_stays_costs_the_round_trips_of_one_arrival(
    aid: RunningAid,
) -> None:
    arrivals = [arrival_of(*[()] * (1 + n % 3)) for n in range(12)]
    people = [member.person_id for arrival in arrivals for member in arrival.members]
    shelter = uuid4()
    stays = [held(shelter, person) for person in people[:10]]
    stays += [housing_event(PersonCheckedIn, shelter, person) for person in people[:6]]
    stays.append(housing_event(PersonCheckedOut, shelter, people[0], reason="left"))

    sent = await handled_together(aid, [*arrivals, *stays])

    print(f"\n{len(arrivals)} arrivals ({len(people)} people), {len(stays)} stays: {len(sent)}")
    # BEGIN; the erased among them; their streams; the append; the rows read, written; COMMIT
    assert len(sent) <= ROUND_TRIPS_PER_ARRIVAL - 1, "\n".join(sent)
    status = {person: (await aid.known(person))["status"] for person in people}
    assert [status[p] for p in people[:10]] == ["checked_out"] + ["checked_in"] * 5 + ["held"] * 4
    assert {status[p] for p in people[10:]} == {"registered"}


def as_published(arrival: ArrivalRegistered) -> list[DomainEvent]:
    """An arrival as intake's topic carries it: followed by each member's consents, given
    with it (no facts of their own: the arrival carries them), which aid passes over."""
    actor, at = arrival.actor, arrival.occurred_at
    consents = [
        ConsentGiven(actor=actor, occurred_at=at, person_id=member.person_id, purpose=purpose)
        for member in arrival.members
        for purpose in (ConsentPurpose.HOUSING, ConsentPurpose.AID)
    ]
    return [arrival, *consents]


async def test_the_consents_that_come_with_arrivals_end_no_run(aid: RunningAid) -> None:
    # each arrival followed by its consents: when a consent passed over ended the run, each
    # arrival cost its own erased look-up, read and append (62 statements for these twelve)
    arrivals = [arrival_of(*[()] * (1 + n % 3)) for n in range(12)]
    people = [member.person_id for arrival in arrivals for member in arrival.members]

    sent = await handled_together(aid, [e for arrival in arrivals for e in as_published(arrival)])

    print(f"\n{len(arrivals)} arrivals with their consents: {len(sent)}")
    assert len(sent) <= ROUND_TRIPS_PER_ARRIVAL - 1, "\n".join(sent)
    assert {(await aid.known(person))["status"] for person in people} == {"registered"}


def departed(arrival: ArrivalRegistered) -> list[DomainEvent]:
    reason, now = DepartureReason.MOVED_ON_TO_ANOTHER_CITY, datetime.now(UTC)
    return [
        PersonDeparted(
            actor=arrival.actor,
            occurred_at=now,
            person_id=member.person_id,
            arrival_id=arrival.arrival_id,
            reason=reason,
        )
        for member in arrival.members
    ]


async def test_a_batch_of_departures_costs_the_round_trips_of_one(aid: RunningAid) -> None:
    # one by one, each departure read and appended its person's stream and looked up their
    # open requests (43 statements for these eight)
    arrivals = [arrival_of(()) for _ in range(10)]
    await handled_together(aid, list(arrivals))
    people = [arrival.members[0].person_id for arrival in arrivals]
    asked = await aid.post("/v1/support-requests", {
        "kind": "job_search", "person_id": str(people[0]), "skills": ["welding"]})  # fmt: skip
    assert asked.status_code == 201, asked.text

    sent = await handled_together(aid, [e for a in arrivals[2:] for e in departed(a)])
    # BEGIN; the erased; the streams; the append; the rows read, written; open requests; COMMIT
    print(f"\neight departures: {len(sent)}")
    assert len(sent) <= ROUND_TRIPS_PER_ARRIVAL, "\n".join(sent)

    # a departure with an open request among them: withdrawn, as the person left
    await handled_together(aid, [e for a in arrivals[:2] for e in departed(a)])
    request = (await aid.get(f"/v1/support-requests/{asked.json()['request_id']}")).json()
    assert (request["status"], request["withdrawn_reason"]) == ("withdrawn", "departed")
    assert {(await aid.known(person))["status"] for person in people} == {"departed"}


async def test_an_erasure_in_a_batch_ends_the_run_before_it(aid: RunningAid) -> None:
    # the bed held before the erasure is taken in, then the person is erased; the check-in
    # after it is passed over: nothing about the erased person is decided after the erasure
    arrival = arrival_of((), ())
    erased, kept = (member.person_id for member in arrival.members)
    shelter = uuid4()
    erasure = PersonErased(actor="operator", occurred_at=datetime.now(UTC), person_id=erased)
    batch = [
        arrival,
        held(shelter, erased),
        erasure,
        housing_event(PersonCheckedIn, shelter, erased),
        held(shelter, kept),
    ]

    await handled_together(aid, batch)

    assert (await aid.known(erased))["status"] == "no_consent"
    assert (await aid.known(kept))["status"] == "held"
    async with aid.pool.acquire() as conn:
        kinds = await conn.fetch(
            "SELECT event_type FROM events WHERE stream_id = $1 ORDER BY version", str(erased)
        )
    # registered and held before the erasure, forgotten by it, and nothing after
    assert [row[0] for row in kinds] == [
        "BeneficiaryRegistered", "ResidentRecorded", "EntitlementGranted", "BeneficiaryForgotten"
    ]  # fmt: skip
