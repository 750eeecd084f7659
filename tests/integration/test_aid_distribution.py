"""Distributions on the real stack: racing sites, residents learned from housing, departures
learned from intake, household items, stock movements, and refusals that name their rule."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from services.aid.domain.rules import LOCAL_TIME, local_day
from shared.http import PROBLEM_JSON
from shared.schemas.housing import PersonCheckedOut
from shared.schemas.intake import NeedCode
from tests.conftest import RunningServices, eventually
from tests.factories import arrival, person
from tests.integration.aid_helpers import OPERATOR, RunningAid, housing_event, running_aid
from tests.integration.helpers import read_topic
from tests.stack import Stack

pytestmark = pytest.mark.integration


@pytest.fixture
async def aid(stack: Stack, databases: dict[str, str], namespace: str) -> AsyncIterator[RunningAid]:
    async with running_aid(stack, databases, namespace) as running:
        yield running


def next_local_midnight(moment: datetime) -> str:
    midnight = datetime.combine(local_day(moment) + timedelta(days=1), datetime.min.time())
    return midnight.replace(tzinfo=LOCAL_TIME).astimezone(UTC).isoformat()


async def count(aid: RunningAid, sql: str, *args: Any) -> int:
    async with aid.pool.acquire() as conn:
        return int(await conn.fetchval(sql, *args))


async def test_two_sites_issuing_a_daily_parcel_to_one_person_at_once_issue_exactly_one(
    aid: RunningAid,
) -> None:
    _, people = await aid.arrive(*[()] * 6)
    for someone in people:
        await aid.check_in(someone)
    for site in ("atameken-camp", "mosque-central"):
        await aid.donate(site, "food_parcel", 10)

    # every person at both sites at the same instant: twelve racing requests
    answers = await asyncio.gather(
        *(
            aid.issue(someone, site, "food_parcel")
            for someone in people
            for site in ("atameken-camp", "mosque-central")
        )
    )

    for someone, pair in zip(people, zip(answers[::2], answers[1::2], strict=True), strict=True):
        assert sorted(answer.status_code for answer in pair) == [201, 422], someone
        [refused] = [answer for answer in pair if answer.status_code == 422]
        assert refused.headers["content-type"].startswith(PROBLEM_JSON)
        problem = refused.json()
        assert problem["rule"] == "max_per_day"
        assert problem["next_eligible_at"] == next_local_midnight(datetime.now(UTC))
        assert await count(aid, "SELECT count(*) FROM issues WHERE person_id = $1", someone) == 1
    assert await count(aid, "SELECT count(*) FROM events WHERE event_type = 'AidIssued'") == 6
    assert await count(aid, "SELECT count(*) FROM events WHERE event_type = 'StockIssued'") == 6
    assert await count(aid, "SELECT sum(quantity) FROM stock WHERE item = 'food_parcel'") == 14


async def test_two_members_collecting_the_households_kit_at_two_sites_at_once_get_one(
    aid: RunningAid,
) -> None:
    household, members = await aid.arrive((), ())
    for site in ("atameken-camp", "gym-5"):
        await aid.donate(site, "hygiene_kit", 5)

    first, second = await asyncio.gather(
        aid.issue(members[0], "atameken-camp", "hygiene_kit"),
        aid.issue(members[1], "gym-5", "hygiene_kit"),
    )

    assert sorted([first.status_code, second.status_code]) == [201, 422]
    issued = first if first.status_code == 201 else second
    refused = second if issued is first else first
    assert issued.json()["household_id"] == str(household)
    assert refused.json()["rule"] == "min_interval"
    seen = await aid.known(members[1])
    kit = next(entry for entry in seen["next"] if entry["item"] == "hygiene_kit")
    assert kit["per"] == "household" and kit["eligible_now"] is False
    assert [entry["for_household"] for entry in seen["received"]] == [True]


async def test_a_resident_only_parcel_waits_for_the_check_in_and_a_departure_ends_everything(
    services: RunningServices,
) -> None:
    aid = RunningAid(
        services.aid, services.apps["aid"], services.namespace,
        services.apps["aid"].state.runtime.settings.kafka_bootstrap_servers,
        services.databases["aid"],
    )  # fmt: skip
    registered = await services.intake.post(
        "/v1/arrivals",
        json=arrival(person()),  # no shelter is open: housing waitlists, nobody checks in
        headers={"X-API-Key": services.partner_key, "Idempotency-Key": "aid-resident-1"},
    )
    assert registered.status_code == 201, registered.text
    someone = UUID(registered.json()["person_ids"][0])
    await aid.known(someone)
    await aid.donate("atameken-camp", "food_parcel", 5)
    await aid.donate("atameken-camp", "hot_meal", 5)

    before = await aid.issue(someone, "atameken-camp", "food_parcel")
    assert before.status_code == 422
    assert before.json()["rule"] == "residents_only"
    assert before.json()["next_eligible_at"] is None

    await aid.check_in(someone)  # PersonCheckedIn on housing's topic
    after = await aid.issue(someone, "atameken-camp", "food_parcel")
    assert after.status_code == 201, after.text

    left = await services.intake.post(
        f"/v1/persons/{someone}/departure",
        json={"reason": "moved_on_to_another_country"},
        headers={"X-API-Key": services.partner_key, "Idempotency-Key": "aid-resident-2"},
    )
    assert left.status_code == 200, left.text
    closed = await aid.entitlements_until(
        someone, lambda seen: seen["status"] == "departed", "the departure from intake"
    )
    assert closed["entitlements"] == [] and closed["resident"] is False
    assert {entry["rule"] for entry in closed["next"]} == {"entitlements_closed"}
    meal = await aid.issue(someone, "atameken-camp", "hot_meal")
    assert meal.json()["rule"] == "entitlements_closed"


async def test_after_a_check_out_only_what_is_not_for_residents_is_issued(aid: RunningAid) -> None:
    _, [someone] = await aid.arrive()
    shelter = await aid.check_in(someone)
    await aid.donate("atameken-camp", "food_parcel", 5)
    await aid.donate("atameken-camp", "hot_meal", 5)

    await aid.check_out(someone, shelter)

    parcel = await aid.issue(someone, "atameken-camp", "food_parcel")
    meal = await aid.issue(someone, "atameken-camp", "hot_meal")
    assert parcel.json()["rule"] == "residents_only"
    assert meal.status_code == 201
    seen = await aid.known(someone)
    assert seen["status"] == "checked_out" and seen["entitlements"] == []


async def test_the_last_units_of_a_vulnerable_first_item_go_to_vulnerable_people(
    aid: RunningAid,
) -> None:
    _, [pregnant, one, another] = await aid.arrive((NeedCode.PREGNANT,), (), ())
    await aid.donate("gym-5", "warm_clothes", 11)  # low-stock level of warm clothes: 10

    first = await aid.issue(one, "gym-5", "warm_clothes")
    reserved = await aid.issue(another, "gym-5", "warm_clothes")
    vulnerable = await aid.issue(pregnant, "gym-5", "warm_clothes")

    assert first.status_code == 201
    assert reserved.json()["rule"] == "vulnerable_first"
    assert vulnerable.status_code == 201
    [level] = (await aid.get("/v1/stock", site_id="gym-5", item="warm_clothes")).json()
    assert (level["quantity"], level["low"]) == (9, True)


async def test_transfers_and_write_offs_move_stock_and_never_below_zero(aid: RunningAid) -> None:
    soon = (datetime.now(UTC).date() + timedelta(days=3)).isoformat()
    later = (datetime.now(UTC).date() + timedelta(days=30)).isoformat()
    await aid.donate("atameken-camp", "food_parcel", 30, expires_on=later)
    await aid.donate("atameken-camp", "food_parcel", 10, expires_on=soon, donor_kind="business")

    route = {"item": "food_parcel", "from_site_id": "atameken-camp", "to_site_id": "gym-5"}
    moved = await aid.post("/v1/transfers", {**route, "quantity": 15})
    too_much = await aid.post("/v1/transfers", {**route, "quantity": 26})
    spoiled = await aid.post("/v1/write-offs", {"site_id": "gym-5", "item": "food_parcel",
                                                "quantity": 4, "reason": "spoiled"})  # fmt: skip
    lost = await aid.post("/v1/write-offs", {"site_id": "gym-5", "item": "food_parcel",
                                             "quantity": 12, "reason": "lost"})  # fmt: skip

    assert [moved.status_code, spoiled.status_code] == [201, 201]
    assert too_much.json()["rule"] == "out_of_stock"
    assert lost.json()["rule"] == "out_of_stock"
    stock = {(row["site_id"], row["item"]): row for row in (await aid.get("/v1/stock")).json()}
    camp, gym = stock[("atameken-camp", "food_parcel")], stock[("gym-5", "food_parcel")]
    assert (camp["quantity"], gym["quantity"]) == (25, 11)
    # the transfer took the lot that expires first: all 10 of it, and 5 of the later one
    assert camp["lots"] == [{"expires_on": later, "quantity": 25}]
    # and the spoiled ones were written off from the lot that expires first
    assert gym["lots"] == [
        {"expires_on": soon, "quantity": 6}, {"expires_on": later, "quantity": 5},
    ]  # fmt: skip
    assert gym["low"] is True and camp["low"] is False  # low-stock level of parcels: 20
    movements = (await aid.get("/v1/stock/gym-5/food_parcel/movements")).json()
    assert [(m["kind"], m["quantity"]) for m in movements] == [
        ("write_off", -4), ("transfer_in", 15),
    ]  # fmt: skip
    assert movements[0]["reason"] == "spoiled"


async def test_a_retried_request_gets_the_first_answer_and_a_reused_key_is_refused(
    aid: RunningAid,
) -> None:
    _, [someone] = await aid.arrive()
    await aid.donate("atameken-camp", "hot_meal", 5)
    body = {"person_id": str(someone), "item": "hot_meal", "site_id": "atameken-camp"}

    first = await aid.post("/v1/distributions", body, key="counter-1")
    again = await aid.post("/v1/distributions", body, key="counter-1")
    refused = await aid.post("/v1/distributions", body, key="counter-2")
    refused_again = await aid.post("/v1/distributions", body, key="counter-2")
    other_body = await aid.post("/v1/distributions", {**body, "quantity": 2}, key="counter-1")

    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert refused.status_code == refused_again.status_code == 422
    assert refused.json() == refused_again.json()
    assert refused.json()["rule"] == "min_interval"
    assert other_body.status_code == 409
    assert await count(aid, "SELECT count(*) FROM issues") == 1


async def test_a_person_aid_does_not_know_yet_is_refused_and_the_same_key_works_later(
    aid: RunningAid,
) -> None:
    await aid.donate("atameken-camp", "hot_meal", 5)
    unknown = UUID(int=42)
    body = {"person_id": str(unknown), "item": "hot_meal", "site_id": "atameken-camp"}

    first = await aid.post("/v1/distributions", body, key="early-1")
    assert first.status_code == 422 and first.json()["rule"] == "not_registered"
    early = await aid.post("/v1/support-requests", {
        "kind": "job_search", "person_id": str(unknown), "skills": ["python"]})  # fmt: skip
    assert early.json()["rule"] == "not_registered"

    await aid.check_in(unknown)  # housing's news arrives: aid knows the person now
    again = await aid.post("/v1/distributions", body, key="early-1")
    assert again.status_code == 201, again.text


async def test_invalid_bodies_name_the_field_and_a_missing_key_is_refused(aid: RunningAid) -> None:
    bad = await aid.post("/v1/donations", {"site_id": "Camp One!", "item": "food_parcel",
                                           "quantity": 0, "unit": "parcel",
                                           "donor_kind": "local_volunteer"})  # fmt: skip
    wrong_unit = await aid.post("/v1/donations", {"site_id": "camp", "item": "hygiene_kit",
                                                  "quantity": 3, "unit": "kg",
                                                  "donor_kind": "ngo"})  # fmt: skip
    no_key = await aid.client.post("/v1/donations", json={}, headers=OPERATOR)
    no_operator = await aid.client.get("/v1/stock")

    assert bad.status_code == 422
    assert {e["pointer"] for e in bad.json()["errors"]} == {"#/site_id", "#/quantity"}
    assert wrong_unit.status_code == 422 and "counted in 'kit'" in wrong_unit.json()["detail"]
    assert no_key.status_code == 422
    assert no_operator.status_code == 401


async def test_aid_events_reach_the_topic_without_free_text(aid: RunningAid) -> None:
    _, [someone] = await aid.arrive()
    await aid.donate("atameken-camp", "hot_meal", 5)
    assert (await aid.issue(someone, "atameken-camp", "hot_meal")).status_code == 201
    request = await aid.post("/v1/support-requests", {
        "kind": "onward_travel", "person_id": str(someone), "destination_country": "GE",
        "destination_city": "Zzyzx-Batumi", "documents_held": ["internal_passport"],
        "note": "canary-note-7731",
    })  # fmt: skip
    assert request.status_code == 201, request.text

    async def published() -> list[Any] | None:
        records = await read_topic(aid.bootstrap, f"{aid.namespace}.aid.events.v2")
        types = {json.loads(record.value)["type"] for record in records}
        wanted = {"BeneficiaryRegistered", "DonationReceived", "AidIssued", "StockIssued",
                  "SupportRequested"}  # fmt: skip
        return records if wanted <= types else None

    records = await eventually(published, what="aid's events on aid.events.v2")
    wire = b"\n".join((r.value or b"") + b"".join(v for _, v in r.headers) for r in records)
    [requested] = [json.loads(r.value) for r in records if b"SupportRequested" in r.value]
    assert requested["destination_country"] == "GE"
    assert set(requested) == {"type", "schema_version", "actor", "occurred_at", "request_id",
                              "person_id", "kind", "destination_country"}  # fmt: skip
    for secret in (b"Zzyzx-Batumi", b"canary-note-7731", b"internal_passport"):
        assert secret not in wire
    types = [json.loads(record.value)["type"] for record in records]
    assert "SupportRequestDetailsRecorded" not in types


async def test_a_late_check_out_from_another_shelter_leaves_the_person_resident(
    aid: RunningAid,
) -> None:
    _, [someone] = await aid.arrive()
    first = await aid.check_in(someone)
    second = await aid.check_in(someone)  # moved to another shelter

    late = housing_event(PersonCheckedOut, first, someone, reason="moved")
    await aid.handled("housing.events.v2", late)

    seen = await aid.known(someone)
    assert seen["resident"] is True and seen["shelter_id"] == str(second)
