"""A freed place is offered from the head of the waitlist, and only the head is read.

In the Oral week sixty thousand people waited at the end, and every place freed (a departure,
an expired hold, a shelter opening) read all of them into housing to pick the first few: the
days grew slower as the waitlist grew. Offering now reads the first parties through the
waiting index, with the rest of a group at the head that keeps together.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import pytest

from services.housing import placing
from services.housing.placing import place_arrival
from services.housing.queries import _HEAD, _HEAD_FITTING, _TOGETHER, units_with_free_places
from shared.decider import in_transaction
from shared.eventstore import Causation
from shared.schemas.intake import (
    AgeBand,
    ArrivalRegistered,
    ArrivingMember,
    NeedCode,
    Relation,
    Sex,
)
from tests.conftest import OPERATOR_KEY, RunningServices

pytestmark = pytest.mark.integration
OPERATOR = {"X-API-Key": OPERATOR_KEY}


@pytest.fixture
def service_names() -> tuple[str, ...]:
    return ("intake", "housing")


def arriving(size: int, keep_together: bool, needs: tuple[NeedCode, ...] = ()) -> ArrivalRegistered:
    members = tuple(
        ArrivingMember(person_id=uuid4(), age_band=AgeBand.ADULT, sex=Sex.FEMALE,
                       relation=Relation.SELF if n == 0 else Relation.FRIEND, needs=needs)
        for n in range(size)
    )  # fmt: skip
    return ArrivalRegistered(
        actor="partner:tt", occurred_at=datetime.now(UTC), arrival_id=uuid4(), partner_id="tt",
        members=members, keep_together=keep_together, arrival_date=date(2022, 9, 24),
        crossing_point="syrym",
    )  # fmt: skip


async def waitlisted(services: RunningServices, *arrivals: ArrivalRegistered) -> None:
    """Housing takes the arrivals in, one after the other; with no shelter open, all wait."""
    app = services.apps["housing"]
    for event in arrivals:
        await in_transaction(
            services.pool("housing"),
            lambda conn, event=event: place_arrival(  # type: ignore[misc]
                conn, app.state.store, app.state.holds, event, Causation.new(), datetime.now(UTC)
            ),
        )


def index_reads(plan: dict[str, Any]) -> list[tuple[str, str | None, str | None]]:
    """(node type, index, condition) of every node of a JSON plan that reads a table or an
    index."""
    found = []
    if "Relation Name" in plan or "Index Name" in plan:
        found.append((plan["Node Type"], plan.get("Index Name"), plan.get("Index Cond")))
    for inner in plan.get("Plans", ()):
        found.extend(index_reads(inner))
    return found


async def test_a_freed_place_goes_to_the_head_of_a_long_waitlist_reading_only_its_head(
    services: RunningServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(placing, "WAITLIST_SCAN", 2)  # parties looked at per freed place
    group = arriving(3, keep_together=True)
    singles = [arriving(1, keep_together=False) for _ in range(40)]
    pregnant = arriving(1, keep_together=False, needs=(NeedCode.PREGNANT,))
    await waitlisted(services, group, *singles, pregnant)
    body = {"name": "Flat", "kind": "gym", "district": "Oral", "beds": 4}
    read, status = await opened_counting_reads(services, monkeypatch, body)

    def of(event: ArrivalRegistered) -> list[str]:
        return [status[member.person_id] for member in event.members]

    # the vulnerable first, then the group that came first, whole; four beds, so nobody else
    assert of(pregnant) == ["held"]
    assert of(group) == ["held"] * 3
    assert [s for single in singles for s in of(single)] == ["waiting"] * 40
    assert sum(read) < 44 // 2, f"read {read} rows of a waitlist of 44 for four places"


async def test_a_place_freed_for_the_first_in_line_reads_a_few_of_a_long_waitlist(
    services: RunningServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    # once the town was full every departure read the first two hundred parties (a thousand
    # rows and more with the groups) to give one place, most often to one of the first few
    singles = [arriving(1, keep_together=False) for _ in range(120)]
    await waitlisted(services, *singles)
    body = {"name": "Room", "kind": "hostel", "district": "Oral", "beds": 1}
    read, status = await opened_counting_reads(services, monkeypatch, body)

    assert status[singles[0].members[0].person_id] == "held"
    assert sum(1 for value in status.values() if value == "waiting") == 119
    assert sum(read) <= 2 * placing.FIRST_LOOK, f"read {read} rows of a waitlist of 120"


@pytest.mark.parametrize(
    "ahead",
    [
        # in the Oral week the head of the waitlist became groups waiting for room together:
        # each place freed read them all (four reads growing fourfold, a thousand rows) to
        # find one person alone further down
        pytest.param(lambda: arriving(3, keep_together=True), id="groups too big for it"),
        # and the vulnerable needing accessible or family rooms: each plain place freed read
        # them into housing, 16, 64, 256 people, to pass them by
        pytest.param(
            lambda: arriving(1, keep_together=False, needs=(NeedCode.DISABILITY,)),
            id="people needing a special room",
        ),
    ],
)
async def test_a_plain_place_freed_behind_those_it_cannot_take_reads_only_who_fits(
    services: RunningServices, monkeypatch: pytest.MonkeyPatch, ahead: Any
) -> None:
    waiting_ahead = [ahead() for _ in range(30)]
    single = arriving(1, keep_together=False)
    await waitlisted(services, *waiting_ahead, single)
    body = {"name": "Room", "kind": "hostel", "district": "Oral", "beds": 1}
    read, status = await opened_counting_reads(services, monkeypatch, body)

    assert status[single.members[0].person_id] == "held"
    people_ahead = sum(len(arrival.members) for arrival in waiting_ahead)
    assert sum(1 for value in status.values() if value == "waiting") == people_ahead
    assert sum(read) <= 2 * placing.FIRST_LOOK, f"read {read} rows behind {people_ahead}"


async def test_the_waiting_parties_that_fit_are_found_without_scanning_the_groups_ahead(
    services: RunningServices,
) -> None:
    # the statement passed over groups too big for the places free inside Postgres, but row
    # by row, each with a count of its group: once the head was groups waiting for room
    # together, a freed place scanned all of them (20 ms a read at 19,000 waiting, growing)
    groups = [arriving(3, keep_together=True) for _ in range(30)]
    single = arriving(1, keep_together=False)
    await waitlisted(services, *groups, single)
    async with services.pool("housing").acquire() as conn:
        plain_room = (placing.FIRST_LOOK, 1, False, False, True)  # one place, no special needs
        plan = await conn.fetchval(f"EXPLAIN (ANALYZE, FORMAT JSON) {_HEAD_FITTING}", *plain_room)
        head = await conn.fetch(_HEAD_FITTING, *plain_room)
        parties = await conn.fetch("SELECT DISTINCT party FROM placements")
    scanned = rows_scanned(json.loads(plan)[0]["Plan"])

    assert [row["person_id"] for row in head] == [single.members[0].person_id]
    assert sorted(row["party"] for row in parties) == [1, 3]
    assert scanned <= 2, f"scanned {scanned} rows of placements for one person behind 30 groups"


def rows_scanned(plan: dict[str, Any]) -> int:
    """The rows every node of an analysed JSON plan that reads placements returned, in all
    its loops."""
    found = plan["Actual Rows"] * plan["Actual Loops"] if "Relation Name" in plan else 0
    return found + sum(rows_scanned(inner) for inner in plan.get("Plans", ()))


@pytest.mark.parametrize(
    ("statement", "argument", "index"),
    [
        (_HEAD, 200, "placements_waiting"),
        (
            _HEAD_FITTING.replace("$2", "2")
            .replace("$3", "true")
            .replace("$4", "true")
            .replace("$5", "true"),
            200,
            "placements_waiting_by_party",
        ),
        (_TOGETHER, [uuid4()], "placements_waiting_by_arrival"),
    ],
)
async def test_the_head_of_the_waitlist_is_read_through_indexes_on_a_fresh_database(
    services: RunningServices, statement: str, argument: int | list[UUID], index: str
) -> None:
    async with services.pool("housing").acquire() as conn, conn.transaction():
        # the plan a connection keeps once it stops planning per call: the generic one
        await conn.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        kind = "integer" if isinstance(argument, int) else "uuid[]"
        value = await conn.fetchval(f"SELECT quote_nullable($1::{kind})", argument)
        await conn.execute(f"PREPARE head ({kind}) AS {statement}")
        plan = await conn.fetchval(f"EXPLAIN (FORMAT JSON) EXECUTE head({value})")
        await conn.execute("DEALLOCATE head")
    read = index_reads(json.loads(plan)[0]["Plan"])

    # every read of placements goes through the index, and by its key (not all of the
    # waiting index with a filter)
    assert [node for node in read if node[0] == "Seq Scan"] == [], read
    keyed = [node for node in read if node[1] == index and node[2]]
    assert keyed, read


async def test_a_placement_reads_only_shelters_that_take_people_that_day(
    services: RunningServices,
) -> None:
    # homes offered for other days, and offers not verified yet, keep free places that nobody
    # may take today: a placement must not read them again and again (the Oral week's homes
    # were offered for September 2022 and every one of 46,000 arrivals read all of them)
    today = datetime.now(UTC).date()
    offers = {}
    for label, first in (("later", today + timedelta(days=3)), ("now", today)):
        body = {"partner_id": "host-network", "district": "Derkul", "places": 2,
                "available_from": first.isoformat(),
                "available_until": (first + timedelta(days=14)).isoformat()}  # fmt: skip
        answer = await services.housing.post(
            "/v1/host-offers", json=body, headers={**OPERATOR, "Idempotency-Key": str(uuid4())}
        )
        assert answer.status_code == 201, answer.text
        offers[label] = UUID(answer.json()["shelter_id"])
        verified = await services.housing.post(
            f"/v1/host-offers/{offers[label]}/verification",
            headers={**OPERATOR, "Idempotency-Key": str(uuid4())},
        )
        assert verified.status_code == 200, verified.text
    unverified = await services.housing.post(
        "/v1/host-offers", json={**body, "district": "Centre"},
        headers={**OPERATOR, "Idempotency-Key": str(uuid4())},
    )  # fmt: skip
    assert unverified.status_code == 201, unverified.text
    async with services.pool("housing").acquire() as conn:
        found = await units_with_free_places(conn, today)
        in_three_days = await units_with_free_places(conn, today + timedelta(days=3))

    assert [offer.shelter_id for offer in found] == [offers["now"]]
    assert sorted(offer.shelter_id for offer in in_three_days) == sorted(offers.values())


async def opened_counting_reads(
    services: RunningServices, monkeypatch: pytest.MonkeyPatch, body: dict[str, Any]
) -> tuple[list[int], dict[Any, str]]:
    """Open the shelter ``body`` describes, counting the rows of placements each statement of
    its offers read; then every person's status."""
    read: list[int] = []
    original = asyncpg.Connection.fetch

    async def fetch(conn: asyncpg.Connection, query: str, *args: Any, **kw: Any) -> Any:
        rows = await original(conn, query, *args, **kw)
        read.extend([len(rows)] if "FROM placements" in query else [])
        return rows

    monkeypatch.setattr(asyncpg.Connection, "fetch", fetch)
    opened = await services.housing.post(
        "/v1/shelters", json=body, headers={**OPERATOR, "Idempotency-Key": str(uuid4())}
    )
    monkeypatch.undo()
    assert opened.status_code == 201, opened.text
    async with services.pool("housing").acquire() as conn:
        status = dict(await conn.fetch("SELECT person_id, status FROM placements"))
    return read, status
