"""Housing takes intake's events in a few round trips, whatever the size of the group: the
statements housing sends to Postgres for each event are counted on the real stack.

Before, the live projection read and wrote the rows of every event of an append on its own
(a family of six placed together cost twenty statements more than one person), and each of
the consents that come with an arrival, which housing does nothing with, cost a look-up of
whether the person was erased.
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from services.housing.main import handler
from services.housing.placement_rows import PersonAlreadyPlaced
from services.housing.placing import place_arrival
from shared.consumer import IncomingEvent
from shared.eventstore import Causation
from shared.schemas.housing import BedAssigned
from shared.schemas.intake import ArrivalRegistered, ConsentGiven, ConsentPurpose
from shared.topics import INTAKE_EVENTS
from tests.conftest import OPERATOR_KEY, RunningServices
from tests.integration.test_waitlist_offer import arriving

pytestmark = pytest.mark.integration
#: the statements of an arrival's placement, for one person as for a family of six: where they
#: stand, the free places, the shelter's stream, the append, and the projection's two reads
#: (units, placements) and one write
STATEMENTS_PER_PLACEMENT = 7
#: asyncpg learning a type, the first time a connection meets it
INTROSPECTION = ("SELECT current_setting('jit')", "WITH RECURSIVE typeinfo_tree")


@pytest.fixture
def service_names() -> tuple[str, ...]:
    return ("intake", "housing")


async def placed(services: RunningServices, event: ArrivalRegistered) -> list[str]:
    """The statements housing sends to take the arrival in (BEGIN and COMMIT left out, and
    asyncpg's look-up of a type, once per connection)."""
    app = services.apps["housing"]
    sent: list[str] = []
    async with services.pool("housing").acquire() as conn:
        conn.add_query_logger(lambda query: sent.append(" ".join(query.query.split())[:80]))
        async with conn.transaction():
            await place_arrival(
                conn, app.state.store, app.state.holds, event, Causation.new(), datetime.now(UTC)
            )
    return [
        statement
        for statement in sent
        if statement not in ("BEGIN;", "COMMIT;") and not statement.startswith(INTROSPECTION)
    ]


async def test_a_family_of_six_placed_together_costs_the_statements_of_one_person(
    services: RunningServices,
) -> None:
    body = {"name": "Camp", "kind": "camp_dormitory", "district": "Oral", "beds": 40}
    headers = {"X-API-Key": OPERATOR_KEY, "Idempotency-Key": str(uuid4())}
    opened = await services.housing.post("/v1/shelters", json=body, headers=headers)
    assert opened.status_code == 201, opened.text
    alone, family = arriving(1, keep_together=True), arriving(6, keep_together=True)

    one = await placed(services, alone)
    six = await placed(services, family)

    assert len(one) == len(six) <= STATEMENTS_PER_PLACEMENT, "\n".join(six)
    async with services.pool("housing").acquire() as conn:
        held = await conn.fetchval("SELECT sum(held) FROM units")
        statuses = await conn.fetch("SELECT status FROM placements")
        lines = await conn.fetchval("SELECT count(*) FROM placement_history WHERE what = 'held'")
        units = await conn.fetchval(
            "SELECT count(DISTINCT unit_id) FROM placements WHERE arrival_id = $1",
            family.arrival_id,
        )
    # all seven held, each with the line of their history, the family in one unit
    assert held == 7 and lines == 7 and units == 1
    assert [row["status"] for row in statuses] == ["held"] * 7


async def test_a_consent_that_came_with_the_arrival_costs_housing_no_statement(
    services: RunningServices,
) -> None:
    app = services.apps["housing"]
    given = ConsentGiven(
        actor="partner:tt", occurred_at=datetime.now(UTC), person_id=uuid4(),
        purpose=ConsentPurpose.HOUSING,
    )  # fmt: skip
    incoming = IncomingEvent(uuid4(), INTAKE_EVENTS, given, "a-correlation")
    sent: list[str] = []
    async with services.pool("housing").acquire() as conn:
        conn.add_query_logger(lambda query: sent.append(query.query))
        await handler(app.state.store, app.state.holds)(conn, incoming)
    assert sent == []


async def test_two_places_for_one_person_in_one_append_are_refused_and_nothing_is_written(
    services: RunningServices,
) -> None:
    """The projection of a whole append still folds event after event: the second hold of
    one person in the same append sees the first, fails the append, and nothing of it stays."""
    store = services.apps["housing"].state.store
    body = {"name": "Gym", "kind": "gym", "district": "Oral", "beds": 4}
    headers = {"X-API-Key": OPERATOR_KEY, "Idempotency-Key": str(uuid4())}
    opened = await services.housing.post("/v1/shelters", json=body, headers=headers)
    assert opened.status_code == 201, opened.text
    await placed(services, arriving(1, keep_together=True))
    async with services.pool("housing").acquire() as conn:
        row = await conn.fetchrow("SELECT * FROM placements")
        before = await conn.fetchval("SELECT count(*) FROM events")
    person, arrival = uuid4(), uuid4()
    holds = [
        BedAssigned(
            actor="service:housing",
            occurred_at=datetime.now(UTC),
            shelter_id=row["shelter_id"],
            unit_id=row["unit_id"],
            bed_number=bed,
            person_id=person,
            arrival_id=arrival,
            hold_until=datetime.now(UTC),
        )
        for bed in (row["bed_number"] + 1, row["bed_number"] + 2)
    ]
    stream = str(row["shelter_id"])
    with pytest.raises(PersonAlreadyPlaced):
        async with services.pool("housing").acquire() as conn, conn.transaction():
            version = await conn.fetchval(
                "SELECT max(version) FROM events WHERE stream_id = $1", stream
            )
            await store.append(conn, stream, version, holds, Causation.new())
    async with services.pool("housing").acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM events") == before
        assert await conn.fetchval("SELECT sum(held) FROM units") == 1
        assert await conn.fetchval("SELECT count(*) FROM placements") == 1
