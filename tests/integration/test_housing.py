"""Housing on the real stack: racing placements, groups, needs, holds passed on, moves,
occupancy at a past moment, and rebuilds that end where the live read models are."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import pytest

from services.housing.app import expire_holds, release_person
from services.housing.placing import place_arrival
from services.housing.projections import READ_MODEL_TABLES
from shared.decider import in_transaction
from shared.eventstore import Causation
from shared.rebuild import rebuild_read_models
from shared.schemas.intake import (
    AgeBand,
    ArrivalRegistered,
    ArrivingMember,
    NeedCode,
    Relation,
    Sex,
)
from tests.conftest import OPERATOR_KEY, RunningServices, eventually
from tests.factories import arrival, group_of_friends, person
from tests.integration.helpers import event_types_of, placement_of, read_models

pytestmark = pytest.mark.integration
OPERATOR = {"X-API-Key": OPERATOR_KEY}


@pytest.fixture
def service_names() -> tuple[str, ...]:
    return ("intake", "housing")


def op(key: str | None = None) -> dict[str, str]:
    return {**OPERATOR, "Idempotency-Key": key or str(uuid4())}


async def open_shelter(services: RunningServices, **body: Any) -> dict[str, Any]:
    body = {"kind": "camp_dormitory", "district": "Zachagansk", **body}
    answer = await services.housing.post("/v1/shelters", json=body, headers=op())
    assert answer.status_code == 201, answer.text
    view = await services.housing.get(
        f"/v1/shelters/{answer.json()['shelter_id']}", headers=OPERATOR
    )
    return dict(view.json())


async def register(services: RunningServices, body: dict[str, Any]) -> list[str]:
    answer = await services.intake.post(
        "/v1/arrivals", json=body,
        headers={"X-API-Key": services.partner_key, "Idempotency-Key": str(uuid4())},
    )  # fmt: skip
    assert answer.status_code == 201, answer.text
    return list(answer.json()["person_ids"])


def single(needs: tuple[NeedCode, ...] = ()) -> ArrivalRegistered:
    return ArrivalRegistered(
        actor="partner:t", occurred_at=datetime.now(UTC), arrival_id=uuid4(), partner_id="t",
        members=(ArrivingMember(person_id=uuid4(), age_band=AgeBand.ADULT, sex=Sex.MALE,
                                relation=Relation.SELF, needs=needs),),
        keep_together=False, arrival_date=date(2022, 9, 24), crossing_point="syrym",
    )  # fmt: skip


async def test_fifty_placements_racing_for_the_last_five_beds_give_exactly_five(
    services: RunningServices,
) -> None:
    await open_shelter(services, name="Last beds", beds=5)
    app = services.apps["housing"]
    store, holds = app.state.store, app.state.holds
    racers = [single() for _ in range(50)]
    pool = await asyncpg.create_pool(services.databases["housing"], min_size=20, max_size=20)
    start = asyncio.Event()

    async def race(event: ArrivalRegistered) -> None:
        await start.wait()
        await in_transaction(
            pool,
            lambda conn: place_arrival(conn, store, holds, event, Causation.new(),
                                       datetime.now(UTC)),
            attempts=60,
        )  # fmt: skip

    tasks = [asyncio.create_task(race(event)) for event in racers]
    start.set()
    await asyncio.gather(*tasks)
    async with pool.acquire() as conn:
        statuses = dict(await conn.fetch("SELECT status, count(*) FROM placements GROUP BY status"))
        units = await conn.fetch("SELECT places, held, occupied FROM units")
        assigned = await conn.fetchval(
            "SELECT count(*) FROM events WHERE event_type = 'BedAssigned'"
        )
    await pool.close()
    assert statuses == {"held": 5, "waiting": 45}
    assert [(u["places"], u["held"], u["occupied"]) for u in units] == [(5, 5, 0)]
    assert assigned == 5


async def test_a_group_of_twelve_lands_in_one_twelve_bed_dormitory(
    services: RunningServices,
) -> None:
    shelter = await open_shelter(
        services, name="Atameken",
        units=[{"name": "Dormitory 1", "places": 8}, {"name": "Dormitory 3", "places": 12},
               {"name": "Dormitory 4", "places": 16}],
    )  # fmt: skip
    people = await register(services, group_of_friends(12))
    places = [await placement_of(services, pid) for pid in people]
    dorm3 = next(u["unit_id"] for u in shelter["units"] if u["name"] == "Dormitory 3")
    assert {place["unit_id"] for place in places} == {dorm3}
    assert sorted(place["bed_number"] for place in places) == list(range(1, 13))


async def test_thirteen_who_keep_together_are_not_split_over_shelters_unless_they_agreed(
    services: RunningServices,
) -> None:
    for name in ("Camp A", "Camp B"):
        await open_shelter(services, name=name, units=[{"name": "Dormitory", "places": 12}])
    together = await register(services, group_of_friends(13, tag="t"))
    waiting = [await placement_of(services, pid) for pid in together]
    split_body = group_of_friends(13, tag="s")
    split_body["keep_together"] = False
    split = await register(services, split_body)
    split_places = [await placement_of(services, pid) for pid in split]

    assert {place["status"] for place in waiting} == {"waiting"}
    assert "13 fitting free places together" in waiting[0]["reason"]
    held = [place for place in split_places if place["status"] == "held"]
    assert len(held) == 13 and len({place["shelter_id"] for place in held}) == 2


async def test_an_accessible_need_waits_for_an_accessible_place_and_gets_it_when_added(
    services: RunningServices,
) -> None:
    shelter = await open_shelter(services, name="Upstairs gym", beds=30)
    [person_id] = await register(
        services, arrival(person(needs=["accessible_place"], given="Вера", sex="female"))
    )
    first = await placement_of(services, person_id)
    added = await services.housing.post(
        f"/v1/shelters/{shelter['shelter_id']}/units",
        json={"name": "Ground floor", "places": 2, "attributes": ["accessible"]}, headers=op(),
    )  # fmt: skip
    after = (await services.housing.get(f"/v1/placements/{person_id}", headers=OPERATOR)).json()

    assert first["status"] == "waiting"
    assert added.status_code == 201
    assert after["status"] == "held" and after["unit_id"] == added.json()["unit_id"]


async def test_a_departure_gives_the_first_waiting_a_hold_and_an_expired_hold_passes_on(
    services: RunningServices,
) -> None:
    shelter = await open_shelter(services, name="Host flat", beds=1)
    [first] = await register(services, arrival(person(given="Первый")))
    await placement_of(services, first)
    [second] = await register(services, arrival(person(given="Второй")))
    assert (await placement_of(services, second))["status"] == "waiting"
    [third] = await register(services, arrival(person(given="Третий")))
    assert (await placement_of(services, third))["status"] == "waiting"

    await services.intake.post(
        f"/v1/persons/{first}/departure", json={"reason": "moved_on_to_another_city"},
        headers={"X-API-Key": services.partner_key, "Idempotency-Key": "dep"},
    )  # fmt: skip

    async def second_holds() -> bool:
        place = (await services.housing.get(f"/v1/placements/{second}", headers=OPERATOR)).json()
        return bool(place["status"] == "held")

    await eventually(second_holds, what="the first waiting person to get the freed place")
    app = services.apps["housing"]
    later = datetime.now(UTC) + timedelta(hours=7)  # past the waitlist hold
    expired = await in_transaction(
        app.state.runtime.pool,
        lambda conn: expire_holds(conn, app.state.store, app.state.holds,
                                  UUID(shelter["shelter_id"]), later),
    )  # fmt: skip
    places = {
        pid: (await services.housing.get(f"/v1/placements/{pid}", headers=OPERATOR)).json()
        for pid in (first, second, third)
    }
    assert expired == 1
    assert places[first]["status"] == "departed"
    assert places[second]["status"] == "no_show"
    assert places[third]["status"] == "held"
    history = (
        await services.housing.get(f"/v1/persons/{second}/placements", headers=OPERATOR)
    ).json()
    assert [entry["what"] for entry in history] == [
        "waitlisted",
        "held",
        "left_waitlist",
        "hold_expired",
    ]


async def test_occupancy_at_a_past_moment_follows_check_ins_moves_and_check_outs(
    services: RunningServices,
) -> None:
    camp = await open_shelter(services, name="Atameken", units=[{"name": "Dorm 3", "places": 4}])
    camp_id = camp["shelter_id"]
    anna_and_boris = arrival(person(given="Анна", sex="female"), person(given="Борис"))
    people = await register(services, anna_and_boris)
    for pid in people:
        await placement_of(services, pid)
    hotel = await open_shelter(services, name="Hotel", kind="hotel", beds=2)

    async def step(path: str, body: dict[str, Any]) -> datetime:
        answer = await services.housing.post(path, json=body, headers=op())
        assert answer.status_code == 200, answer.text
        await asyncio.sleep(0.05)
        moment = datetime.now(UTC)
        await asyncio.sleep(0.05)
        return moment

    anna, boris = people
    both_in = [
        await step(f"/v1/shelters/{camp_id}/check-ins", {"person_id": pid}) for pid in people
    ][-1]
    move = {"to_shelter_id": hotel["shelter_id"], "reason": "needs quiet"}
    anna_moved = await step(f"/v1/persons/{anna}/move", move)
    boris_out = await step(f"/v1/shelters/{camp_id}/check-outs", {"person_id": boris})

    async def occupants(moment: datetime) -> set[tuple[str, str]]:
        answer = await services.housing.get(
            f"/v1/shelters/{camp_id}/occupants", params={"at": moment.isoformat()}, headers=OPERATOR
        )
        return {(o["person_id"], o["state"]) for o in answer.json()["occupants"]}

    assert await occupants(both_in) == {(anna, "checked_in"), (boris, "checked_in")}
    assert await occupants(anna_moved) == {(boris, "checked_in")}
    assert await occupants(boris_out) == set()
    hotel_now = (
        await services.housing.get(f"/v1/shelters/{hotel['shelter_id']}", headers=OPERATOR)
    ).json()
    assert hotel_now["occupied"] == 1  # Anna moved in, checked in at once


#: every event type housing's projection writes a read model from
PROJECTED = {
    "ShelterOpened", "HostOfferMade", "HostOfferVerified", "HostOfferWithdrawn", "ShelterClosed",
    "ShelterReopened", "UnitAdded", "UnitCapacityChanged", "BedAssigned", "PersonCheckedIn",
    "PersonCheckedOut", "BedReleased", "HoldExpired", "PersonWaitlisted", "PersonLeftWaitlist",
    "PersonMoved",
}  # fmt: skip


async def live_history(services: RunningServices) -> None:
    """A bit of everything housing's read models are built from: holds, a waitlist, check-ins
    and check-outs, a move, a host offer verified then withdrawn, departures of a held and of a
    waiting person, a new unit, a capacity change, a shelter closed and reopened, and holds
    that expire."""
    units = [
        {"name": "Hall", "places": 3},
        {"name": "Family", "places": 2, "attributes": ["family_room"]},
    ]
    gym = (await open_shelter(services, name="Gym", units=units))["shelter_id"]
    friends = await register(services, group_of_friends(3))
    [late] = await register(services, arrival(person(given="Поздний")))
    [waiting] = await register(services, arrival(person(given="Ждущий")))
    [leaving] = await register(services, arrival(person(given="Уходящий")))
    for pid in [*friends, late, waiting, leaving]:
        await placement_of(services, pid)
    await services.housing.post(f"/v1/shelters/{gym}/check-ins",
                                json={"person_id": friends[0]}, headers=op())  # fmt: skip
    await services.housing.post(f"/v1/shelters/{gym}/check-outs",
                                json={"person_id": friends[0]}, headers=op())  # fmt: skip

    today = datetime.now(UTC).date()
    offered = await services.housing.post("/v1/host-offers", json={
        "partner_id": "host-network", "district": "Derkul", "places": 1,
        "available_from": today.isoformat(),
        "available_until": (today + timedelta(days=14)).isoformat(),
    }, headers=op())  # fmt: skip
    home = offered.json()["shelter_id"]
    await services.housing.post(f"/v1/host-offers/{home}/verification", headers=op())
    await services.housing.post(f"/v1/host-offers/{home}/withdrawal", headers=op())

    await depart(services, leaving)  # from the waitlist
    await depart(services, late)  # from a held place, which passes to whoever waits

    hotel = (await open_shelter(services, name="Hotel", kind="hotel", beds=2))["shelter_id"]
    await services.housing.post(f"/v1/shelters/{gym}/check-ins",
                                json={"person_id": friends[1]}, headers=op())  # fmt: skip
    moved = {"to_shelter_id": hotel, "reason": "needs quiet"}
    assert (await services.housing.post(f"/v1/persons/{friends[1]}/move", json=moved,
                                        headers=op())).status_code == 200  # fmt: skip
    hall = next(unit["unit_id"] for unit in (await shelter_view(services, gym))["units"]
                if unit["name"] == "Hall")  # fmt: skip
    for path, body in (
        (f"/v1/shelters/{gym}/units", {"name": "Annex", "places": 2}),
        (f"/v1/shelters/{gym}/units/{hall}/capacity", {"places": 4}),
        (f"/v1/shelters/{gym}/status", {"status": "closed"}),
        (f"/v1/shelters/{gym}/status", {"status": "open"}),
    ):
        assert (await services.housing.post(path, json=body, headers=op())).status_code < 300
    app = services.apps["housing"]
    later = datetime.now(UTC) + timedelta(days=3)  # past every hold
    await in_transaction(
        app.state.runtime.pool,
        lambda conn: expire_holds(conn, app.state.store, app.state.holds, UUID(gym), later),
    )


async def depart(services: RunningServices, person_id: str) -> None:
    answer = await services.intake.post(
        f"/v1/persons/{person_id}/departure", json={"reason": "moved_on_to_another_city"},
        headers={"X-API-Key": services.partner_key, "Idempotency-Key": str(uuid4())},
    )  # fmt: skip
    assert answer.status_code == 200, answer.text

    async def departed() -> bool:
        place = await services.housing.get(f"/v1/placements/{person_id}", headers=OPERATOR)
        return bool(place.json()["status"] == "departed")

    await eventually(departed, what=f"housing to apply {person_id}'s departure")


async def shelter_view(services: RunningServices, shelter_id: str) -> dict[str, Any]:
    return dict((await services.housing.get(f"/v1/shelters/{shelter_id}", headers=OPERATOR)).json())


async def test_the_read_models_rebuild_to_exactly_the_live_state(services: RunningServices) -> None:
    await live_history(services)
    pool = services.apps["housing"].state.runtime.pool
    store = services.apps["housing"].state.store
    live = await read_models(pool, READ_MODEL_TABLES)
    assert PROJECTED - await event_types_of(pool) == set()  # every kind of row is built
    async with pool.acquire() as conn:  # the read models drift, or are lost
        await conn.execute("DELETE FROM placement_history; UPDATE units SET held = 0")
        events = await conn.fetchval("SELECT count(*) FROM events")

    replayed = await rebuild_read_models(pool, store, READ_MODEL_TABLES)

    assert store.rebuilder is not None  # folded in memory and copied, not replayed one by one
    assert replayed == events
    assert await read_models(pool, READ_MODEL_TABLES) == live


async def test_a_departure_that_comes_before_its_arrival_is_kept_across_a_rebuild(
    services: RunningServices,
) -> None:
    await open_shelter(services, name="Early leavers", beds=4)
    app = services.apps["housing"]
    store, holds, pool = app.state.store, app.state.holds, app.state.runtime.pool
    arrival = single()
    gone = arrival.members[0].person_id
    # intake's topic is keyed by stream: the person's departure may overtake their arrival
    await in_transaction(pool, lambda conn: release_person(
        conn, store, holds, gone, "departed", Causation.new(), datetime.now(UTC)))  # fmt: skip
    await in_transaction(pool, lambda conn: place_arrival(
        conn, store, holds, arrival, Causation.new(), datetime.now(UTC)))  # fmt: skip
    live = await read_models(pool, READ_MODEL_TABLES)
    async with pool.acquire() as conn:  # kept in housing: aid hears of it from intake
        topics = await conn.fetch(
            "SELECT topic FROM events WHERE event_type = $1", "DepartureBeforeArrival"
        )
    assert [row["topic"] for row in topics] == [None]

    await rebuild_read_models(pool, store, READ_MODEL_TABLES)

    assert await read_models(pool, READ_MODEL_TABLES) == live
    # the arrival, heard again, still places nobody
    await in_transaction(pool, lambda conn: place_arrival(
        conn, store, holds, arrival, Causation.new(), datetime.now(UTC)))  # fmt: skip
    async with pool.acquire() as conn:
        status = await conn.fetchval("SELECT status FROM placements WHERE person_id = $1", gone)
        held = await conn.fetchval("SELECT sum(held) FROM units")
    assert (status, held) == ("departed", 0)


async def test_a_host_offer_takes_people_once_verified_and_returns_them_when_withdrawn(
    services: RunningServices,
) -> None:
    [guest] = await register(services, arrival(person(given="Гость")))
    assert (await placement_of(services, guest))["status"] == "waiting"
    today = datetime.now(UTC).date()
    offered = await services.housing.post(
        "/v1/host-offers",
        json={"partner_id": "host-network", "district": "Derkul", "places": 2,
              "available_from": today.isoformat(),
              "available_until": (today + timedelta(days=14)).isoformat()},
        headers=op(),
    )  # fmt: skip
    offer_id = offered.json()["shelter_id"]
    unverified = (await services.housing.get(f"/v1/placements/{guest}", headers=OPERATOR)).json()
    await services.housing.post(f"/v1/host-offers/{offer_id}/verification", headers=op())
    verified = (await services.housing.get(f"/v1/placements/{guest}", headers=OPERATOR)).json()
    await services.housing.post(f"/v1/host-offers/{offer_id}/withdrawal", headers=op())
    withdrawn = (await services.housing.get(f"/v1/placements/{guest}", headers=OPERATOR)).json()

    assert unverified["status"] == "waiting"
    assert (verified["status"], verified["shelter_id"]) == ("held", offer_id)
    assert withdrawn["status"] == "waiting" and withdrawn["waitlist_position"] == 1


async def test_the_due_out_list_names_who_reached_the_maximum_stay(
    services: RunningServices,
) -> None:
    cinema = await open_shelter(services, name="Cinema Arman", kind="cinema", beds=200,
                                max_nights=2)  # fmt: skip
    [viewer] = await register(services, arrival(person(given="Зритель")))
    await placement_of(services, viewer)
    await services.housing.post(f"/v1/shelters/{cinema['shelter_id']}/check-ins",
                                json={"person_id": viewer}, headers=op())  # fmt: skip
    today = datetime.now(UTC).date()

    tonight = await services.housing.get("/v1/due-out", params={"on": today.isoformat()},
                                         headers=OPERATOR)  # fmt: skip
    in_two_days = await services.housing.get(
        "/v1/due-out", params={"on": (today + timedelta(days=2)).isoformat()}, headers=OPERATOR
    )

    assert tonight.json() == []
    assert [entry["person_id"] for entry in in_two_days.json()] == [viewer]
    assert in_two_days.json()[0]["max_nights"] == 2


async def test_a_freed_place_goes_to_the_vulnerable_before_those_who_came_earlier(
    services: RunningServices,
) -> None:
    shelter = await open_shelter(services, name="Room", beds=1)
    [sleeper] = await register(services, arrival(person(given="Спящий")))
    await placement_of(services, sleeper)
    [early] = await register(services, arrival(person(given="Ранний")))
    await placement_of(services, early)
    [pregnant] = await register(
        services, arrival(person(given="Ольга", sex="female", needs=["pregnant"]))
    )
    await placement_of(services, pregnant)
    waitlist = (await services.housing.get("/v1/waitlist", headers=OPERATOR)).json()
    assert [entry["person_id"] for entry in waitlist] == [pregnant, early]

    await services.housing.post(f"/v1/shelters/{shelter['shelter_id']}/check-ins",
                                json={"person_id": sleeper}, headers=op())  # fmt: skip
    await services.housing.post(f"/v1/shelters/{shelter['shelter_id']}/check-outs",
                                json={"person_id": sleeper}, headers=op())  # fmt: skip

    first = (await services.housing.get(f"/v1/placements/{pregnant}", headers=OPERATOR)).json()
    second = (await services.housing.get(f"/v1/placements/{early}", headers=OPERATOR)).json()
    assert first["status"] == "held" and second["status"] == "waiting"


async def test_shelter_staff_check_in_only_where_their_partner_runs_the_shelter(
    services: RunningServices,
) -> None:
    from pydantic import SecretStr

    settings = services.apps["housing"].state.runtime.settings
    settings.staff_api_keys = {"camp-staff": SecretStr("staff-key-1")}
    ours = await open_shelter(services, name="Camp", beds=2, contact_partner_id="camp-staff")
    [guest] = await register(services, arrival(person(given="Гость")))
    assert (await placement_of(services, guest))["shelter_id"] == ours["shelter_id"]
    theirs = await open_shelter(services, name="Other", beds=2, contact_partner_id="others")
    staff = {"X-API-Key": "staff-key-1"}

    elsewhere = await services.housing.post(
        f"/v1/shelters/{theirs['shelter_id']}/check-ins", json={"person_id": guest},
        headers={**staff, "Idempotency-Key": "s1"},
    )  # fmt: skip
    unknown = await services.housing.post(
        f"/v1/shelters/{ours['shelter_id']}/check-ins", json={"person_id": guest},
        headers={"X-API-Key": "nope", "Idempotency-Key": "s2"},
    )  # fmt: skip
    checked_in = await services.housing.post(
        f"/v1/shelters/{ours['shelter_id']}/check-ins", json={"person_id": guest},
        headers={**staff, "Idempotency-Key": "s3"},
    )  # fmt: skip
    forbidden = await services.housing.post(
        "/v1/shelters", json={"name": "x", "kind": "gym", "district": "y", "beds": 1},
        headers={**staff, "Idempotency-Key": "s4"},
    )  # fmt: skip

    assert (elsewhere.status_code, unknown.status_code, forbidden.status_code) == (404, 401, 401)
    assert checked_in.status_code == 200 and checked_in.json()["changed"] is True
    place = (await services.housing.get(f"/v1/placements/{guest}", headers=OPERATOR)).json()
    assert place["status"] == "checked_in"


async def test_a_move_keeps_the_operators_reason_in_the_history_but_off_the_topic(
    services: RunningServices,
) -> None:
    first = await open_shelter(services, name="First", beds=2)
    [guest] = await register(services, arrival(person(given="Переезд")))
    await placement_of(services, guest)
    second = await open_shelter(services, name="Second", beds=2)

    moved = await services.housing.post(
        f"/v1/persons/{guest}/move",
        json={"to_shelter_id": second["shelter_id"], "reason": "snores loudly, room 4 asked"},
        headers=op(),
    )
    history = (
        await services.housing.get(f"/v1/persons/{guest}/placements", headers=OPERATOR)
    ).json()
    async with services.pool("housing").acquire() as conn:
        published = await conn.fetchval(
            "SELECT count(*) FROM events WHERE topic IS NOT NULL AND data::text LIKE '%snores%'"
        )

    assert moved.status_code == 200
    assert ("moved", first["shelter_id"], "snores loudly, room 4 asked") in {
        (entry["what"], entry["shelter_id"], entry["reason"]) for entry in history
    }
    assert history[-1]["what"] == "held" and history[-1]["shelter_id"] == second["shelter_id"]
    assert published == 0


async def test_shelters_opening_at_once_share_out_the_waitlist_without_placing_anyone_twice(
    services: RunningServices,
) -> None:
    # found by the Oral week: two openings read the same waiting people, and the second to
    # place one of them failed with a 500 (PersonAlreadyPlaced) instead of passing them over
    app = services.apps["housing"]
    store, holds = app.state.store, app.state.holds
    waiting = [single() for _ in range(24)]
    for event in waiting:
        await in_transaction(
            services.pool("housing"),
            lambda conn, event=event: place_arrival(  # type: ignore[misc]
                conn, store, holds, event, Causation.new(), datetime.now(UTC)
            ),
        )
    bodies = [
        {"name": f"Mosque {n}", "kind": "mosque", "district": "Oral", "beds": 8} for n in range(4)
    ]
    answers = await asyncio.gather(
        *(services.housing.post("/v1/shelters", json=body, headers=op()) for body in bodies)
    )
    assert [answer.status_code for answer in answers] == [201] * 4, [a.text for a in answers]

    async with services.pool("housing").acquire() as conn:
        statuses = dict(await conn.fetch("SELECT status, count(*) FROM placements GROUP BY status"))
        assigned = await conn.fetch(
            "SELECT data->>'person_id' AS person, count(*) AS n FROM events "
            "WHERE event_type = 'BedAssigned' GROUP BY 1"
        )
        units = await conn.fetch("SELECT places, held, occupied FROM units")
    # an opening passes over the people another opening is placing at that moment, and goes
    # on down the waitlist: 32 new places, so all 24 get one, none twice
    assert statuses == {"held": 24}
    assert all(row["n"] == 1 for row in assigned), "a person was given two places"
    assert all(unit["held"] + unit["occupied"] <= unit["places"] for unit in units)
