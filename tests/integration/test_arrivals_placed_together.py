"""A Kafka batch's arrivals are placed together (services/housing/arrival_run.py), and its
departures free their places together (services/housing/app.py: ``release_persons``): on the
real stack, the statements of a whole batch of arrivals are those of one placement, the shelter
is never filled past its places, groups stay in one unit, the events of the batch keep their
order, and a batch that raced another writer for the same shelter is refused whole.
"""

from __future__ import annotations

import asyncio
from contextlib import nullcontext
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest

from services.housing.main import HousingHandler
from services.housing.placing import place_arrival
from shared.consumer import IncomingEvent, Taken
from shared.eventstore import Causation, Conflict
from shared.schemas.base import DomainEvent
from shared.schemas.intake import (
    ArrivalRegistered,
    ConsentGiven,
    ConsentPurpose,
    DepartureReason,
    PersonDeparted,
)
from shared.topics import INTAKE_EVENTS
from tests.conftest import OPERATOR_KEY, RunningServices
from tests.integration.test_housing_round_trips import INTROSPECTION, STATEMENTS_PER_PLACEMENT
from tests.integration.test_waitlist_offer import arriving

pytestmark = pytest.mark.integration

#: a run of departures: the placements, the shelters and the waitlists read; their appends; the
#: one offer of the places freed (its free units, the waiting parties, their lock and statuses,
#: the run that places them: read, append); the departures remembered (read, append)
DEPARTURES_STATEMENTS = 40


@pytest.fixture
def service_names() -> tuple[str, ...]:
    return ("intake", "housing")


async def open_shelter(services: RunningServices, beds: int) -> None:
    body = {"name": "Camp", "kind": "camp_dormitory", "district": "Oral", "beds": beds}
    headers = {"X-API-Key": OPERATOR_KEY, "Idempotency-Key": str(uuid4())}
    opened = await services.housing.post("/v1/shelters", json=body, headers=headers)
    assert opened.status_code == 201, opened.text


def taken(*events: DomainEvent) -> list[Taken]:
    return [
        Taken(IncomingEvent(uuid4(), INTAKE_EVENTS, event, "c"), nullcontext) for event in events
    ]


async def handled_together(services: RunningServices, batch: list[Taken]) -> list[str]:
    """The batch through housing's handler in one transaction; the statements it sent."""
    app = services.apps["housing"]
    sent: list[str] = []
    async with services.pool("housing").acquire() as conn:
        conn.add_query_logger(lambda query: sent.append(" ".join(query.query.split())[:80]))
        async with conn.transaction():
            await HousingHandler(app.state.store, app.state.holds).handle_batch(conn, batch)
    return [one for one in sent if one not in ("BEGIN;", "COMMIT;")
            and not one.startswith(INTROSPECTION)]  # fmt: skip


async def facts(services: RunningServices, query: str, *args: Any) -> Any:
    async with services.pool("housing").acquire() as conn:
        return await conn.fetch(query, *args)


async def test_twenty_arrivals_of_one_batch_cost_the_statements_of_one_placement(
    services: RunningServices,
) -> None:
    await open_shelter(services, beds=200)
    arrivals = [arriving(1 + n % 4, keep_together=True) for n in range(20)]

    sent = await handled_together(services, taken(*arrivals))

    assert len(sent) <= STATEMENTS_PER_PLACEMENT, "\n".join(sent)
    [held] = await facts(services, "SELECT sum(held) AS held FROM units")
    assert held["held"] == sum(len(one.members) for one in arrivals)


async def test_a_batch_fills_a_shelter_exactly_keeps_groups_in_one_unit_and_waitlists_the_rest(
    services: RunningServices,
) -> None:
    await open_shelter(services, beds=10)
    sizes = (3, 1, 4, 2, 1, 3, 1)  # 15 people for 10 places
    arrivals = [arriving(size, keep_together=True) for size in sizes]

    await handled_together(services, taken(*arrivals))

    units = await facts(services, "SELECT places, held, occupied FROM units")
    beds = await facts(services, "SELECT unit_id, bed_number FROM placements WHERE status = 'held'")
    assert sum(unit["held"] + unit["occupied"] for unit in units) == 10
    assert all(unit["held"] + unit["occupied"] <= unit["places"] for unit in units)
    assert len({(row["unit_id"], row["bed_number"]) for row in beds}) == len(beds) == 10
    for arrival in arrivals:
        rows = await facts(
            services, "SELECT status, unit_id FROM placements WHERE arrival_id = $1",
            arrival.arrival_id,
        )  # fmt: skip
        assert len({(row["status"], row["unit_id"]) for row in rows}) == 1, rows
    # in their order: 3 + 1 + 4 + 2 fill the ten places, everyone after waits
    waiting = {row["arrival_id"] for row in await facts(
        services, "SELECT arrival_id FROM placements WHERE status = 'waiting'")}  # fmt: skip
    assert waiting == {arrival.arrival_id for arrival in arrivals[4:]}


async def test_a_departure_after_the_arrival_in_the_same_batch_frees_the_place_it_got(
    services: RunningServices,
) -> None:
    await open_shelter(services, beds=4)
    first, second = arriving(1, keep_together=False), arriving(1, keep_together=False)
    person = first.members[0].person_id
    departed = PersonDeparted(
        actor="partner:tt", occurred_at=datetime.now(UTC), person_id=person,
        arrival_id=first.arrival_id, reason=DepartureReason.FOUND_OWN_HOUSING,
    )  # fmt: skip

    await handled_together(services, taken(first, departed, second))

    statuses = dict(await facts(services, "SELECT person_id, status FROM placements"))
    assert statuses == {person: "departed", second.members[0].person_id: "held"}


async def test_a_batch_that_raced_another_placement_for_the_shelter_is_refused_whole(
    services: RunningServices,
) -> None:
    await open_shelter(services, beds=5)
    app = services.apps["housing"]
    alone = arriving(1, keep_together=False)
    batch: list[ArrivalRegistered] = [arriving(1, keep_together=False) for _ in range(5)]
    async with services.pool("housing").acquire() as other:
        placing = other.transaction()
        await placing.start()
        await place_arrival(
            other, app.state.store, app.state.holds, alone, Causation.new(), datetime.now(UTC)
        )
        # the batch read the shelter without that hold (not committed): its append waits
        together = asyncio.create_task(handled_together(services, taken(*batch)))
        await asyncio.sleep(0.5)
        await placing.commit()
    with pytest.raises(Conflict):
        await together

    units = await facts(services, "SELECT held FROM units")
    assert sum(unit["held"] for unit in units) == 1


async def waitlisted_by_a_consent_first(
    services: RunningServices, arrival: ArrivalRegistered
) -> UUID:
    """A consent to housing given after registration for the arrival's second member, taken in
    before the arrival (no shelter open: they wait, and the arrival's waitlist stream exists)."""
    late = arrival.members[1]
    consent = ConsentGiven(
        actor="partner:tt", occurred_at=datetime.now(UTC), person_id=late.person_id,
        purpose=ConsentPurpose.HOUSING, arrival_id=arrival.arrival_id, member=late,
    )  # fmt: skip
    await handled_together(services, taken(consent))
    return late.person_id


async def test_an_arrival_whose_waitlist_a_consent_opened_first_makes_the_batch_refused_whole(
    services: RunningServices,
) -> None:
    # the batch takes an arrival's waitlist stream to be new without reading it; a consent to
    # housing given after registration that came first (and waitlisted someone of the
    # arrival, no shelter being open) made it exist: the append must not go past it
    arrival = arriving(2, keep_together=False)
    late = await waitlisted_by_a_consent_first(services, arrival)

    with pytest.raises(Conflict):
        await handled_together(services, taken(arrival))

    waiting = await facts(services, "SELECT person_id FROM placements WHERE status = 'waiting'")
    assert [row["person_id"] for row in waiting] == [late]


async def handled_alone(services: RunningServices, event: ArrivalRegistered) -> None:
    """The arrival through the one-at-a-time path (a refused batch's events, one by one)."""
    app = services.apps["housing"]
    async with services.pool("housing").acquire() as conn, conn.transaction():
        await HousingHandler(app.state.store, app.state.holds)(
            conn, IncomingEvent(uuid4(), INTAKE_EVENTS, event, "c")
        )


async def test_an_arrival_handled_again_in_a_batch_or_alone_holds_no_second_place(
    services: RunningServices,
) -> None:
    # past the inbox (a rewound consumer, an inbox row lost): the placing itself passes over
    # people it already holds a place for, whichever way the arrival comes again, even when
    # the shelter they hold places in is full and another has room
    await open_shelter(services, beds=3)
    arrival = arriving(3, keep_together=True)
    await handled_together(services, taken(arrival))
    await open_shelter(services, beds=10)

    await handled_together(services, taken(arrival, arrival))
    await handled_alone(services, arrival)

    rows = await facts(services, "SELECT status FROM placements")
    [held] = await facts(services, "SELECT sum(held) AS held FROM units")
    assert [row["status"] for row in rows] == ["held"] * 3 and held["held"] == 3


async def test_an_arrival_whose_waitlist_a_consent_opened_first_is_placed_when_handled_alone(
    services: RunningServices,
) -> None:
    # what the consumer does once the batch was refused: the arrival alone reads its waitlist
    # stream (which the consent began), and its other member waits on it too
    arrival = arriving(2, keep_together=False)
    late = await waitlisted_by_a_consent_first(services, arrival)

    await handled_alone(services, arrival)

    rows = await facts(services, "SELECT person_id, status FROM placements WHERE arrival_id = $1",
                       arrival.arrival_id)  # fmt: skip
    first = arrival.members[0].person_id
    assert dict(rows) == {first: "waiting", late: "waiting"}


def departure_of(person: UUID, arrival: ArrivalRegistered) -> PersonDeparted:
    return PersonDeparted(
        actor="partner:tt", occurred_at=datetime.now(UTC), person_id=person,
        arrival_id=arrival.arrival_id, reason=DepartureReason.FOUND_OWN_HOUSING,
    )  # fmt: skip


async def test_a_batch_of_departures_frees_their_places_together_and_offers_them_once(
    services: RunningServices,
) -> None:
    # six placed, three waiting; then five of the placed leave, one who waits, and one housing
    # never heard of. One by one, each departure cost its own reads, append and offer (87
    # statements for these seven; 35 together, most of them the two parties placed)
    await open_shelter(services, beds=6)
    arrivals = [arriving(1, keep_together=False) for _ in range(9)]
    await handled_together(services, taken(*arrivals))
    people = [arrival.members[0].person_id for arrival in arrivals]
    stranger = arriving(1, keep_together=False)
    leaving = [*range(5), 7]
    departures = [departure_of(people[i], arrivals[i]) for i in leaving]
    departures.append(departure_of(stranger.members[0].person_id, stranger))

    sent = await handled_together(services, taken(*departures))

    print(f"\nseven departures: {len(sent)} statements")
    assert len(sent) <= DEPARTURES_STATEMENTS, "\n".join(sent)
    statuses = dict(await facts(services, "SELECT person_id, status FROM placements"))
    assert {statuses[people[i]] for i in leaving} == {"departed"}
    # the sixth placed stays; the two still waiting got two of the five places freed
    assert [statuses[people[i]] for i in (5, 6, 8)] == ["held", "held", "held"]
    units = await facts(services, "SELECT places, held, occupied FROM units")
    assert sum(unit["held"] + unit["occupied"] for unit in units) == 3
    # the stranger's arrival, when it comes, does not place them
    await handled_together(services, taken(stranger))
    assert stranger.members[0].person_id not in dict(
        await facts(services, "SELECT person_id, status FROM placements WHERE status = 'held'")
    )
