"""Consent purposes enforced end to end on the real Kafka and Postgres: housing places, and aid
serves, only people who agreed to its purpose; a consent given later takes them in as if they
arrived now, one withdrawn releases and forgets them, and one given again brings them back as
new. Statistics count only those who agreed to them, as before."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from services.aid.projections import READ_MODEL_TABLES as AID_TABLES
from services.housing.projections import READ_MODEL_TABLES as HOUSING_TABLES
from shared.rebuild import rebuild_read_models
from tests.conftest import RunningServices, eventually
from tests.factories import arrival, person
from tests.integration.helpers import OPERATOR, event_types_of, open_shelter, read_models

pytestmark = pytest.mark.integration
SITE = "atameken-camp"


@pytest.fixture
def service_names() -> tuple[str, ...]:
    return ("intake", "housing", "aid")


def as_partner(services: RunningServices) -> dict[str, str]:
    return {"X-API-Key": services.partner_key, "Idempotency-Key": str(uuid4())}


def as_operator() -> dict[str, str]:
    return {**OPERATOR, "Idempotency-Key": str(uuid4())}


async def register(services: RunningServices, *consents: str, **extra: Any) -> dict[str, Any]:
    body = {**arrival(person(**extra)), "consents": list(consents)}
    answer = await services.intake.post("/v1/arrivals", json=body, headers=as_partner(services))
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


async def consent(services: RunningServices, person_id: str, purpose: str, given: bool) -> None:
    answer = await services.intake.post(
        f"/v1/persons/{person_id}/consents", json={"purpose": purpose, "given": given},
        headers=as_partner(services),
    )  # fmt: skip
    assert answer.status_code == 200, answer.text


async def caught_up(services: RunningServices, *consumers: str) -> None:
    """Wait until every event intake published so far is in each consumer's inbox: what they
    did not do by then, they will not do."""
    published = [
        row["event_id"]
        for row in await services.pool("intake").fetch(
            "SELECT event_id FROM events WHERE topic IS NOT NULL"
        )
    ]

    def all_in(service: str) -> Callable[[], Awaitable[bool]]:
        async def check() -> bool:
            seen = await services.pool(service).fetchval(
                "SELECT count(*) FROM inbox WHERE event_id = ANY($1)", published
            )
            return bool(seen == len(published))

        return check

    for service in consumers:
        await eventually(all_in(service), what=f"{service} to consume intake's events")


async def placement(services: RunningServices, person_id: str) -> httpx.Response:
    return await services.housing.get(f"/v1/placements/{person_id}", headers=OPERATOR)


async def placed_as(services: RunningServices, person_id: str, status: str) -> dict[str, Any]:
    async def there() -> dict[str, Any] | None:
        answer = await placement(services, person_id)
        ok = answer.status_code == 200 and answer.json()["status"] == status
        return dict(answer.json()) if ok else None

    return await eventually(there, what=f"housing to show {person_id} {status}")


async def forgotten_by_housing(services: RunningServices, person_id: str) -> bool:
    return (await placement(services, person_id)).status_code == 404


async def aid_view(services: RunningServices, person_id: str) -> dict[str, Any]:
    answer = await services.aid.get(f"/v1/entitlements/{person_id}", headers=OPERATOR)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def aid_status(services: RunningServices, person_id: str, status: str) -> dict[str, Any]:
    async def there() -> dict[str, Any] | None:
        answer = await services.aid.get(f"/v1/entitlements/{person_id}", headers=OPERATOR)
        ok = answer.status_code == 200 and answer.json()["status"] == status
        return dict(answer.json()) if ok else None

    return await eventually(there, what=f"aid to show {person_id} {status}")


async def hot_meal(services: RunningServices, person_id: str) -> httpx.Response:
    body = {"person_id": person_id, "item": "hot_meal", "site_id": SITE, "quantity": 1}
    return await services.aid.post("/v1/distributions", json=body, headers=as_operator())


async def donate_hot_meals(services: RunningServices) -> None:
    body = {"site_id": SITE, "item": "hot_meal", "quantity": 50, "unit": "portion",
            "donor_kind": "local_volunteer", "expires_on": "2099-01-01"}  # fmt: skip
    answer = await services.aid.post("/v1/donations", json=body, headers=as_operator())
    assert answer.status_code == 201, answer.text


async def rebuilt_equals_live(services: RunningServices, service: str, tables: Any) -> bool:
    pool, store = services.pool(service), services.apps[service].state.store
    live = await read_models(pool, tables)
    await rebuild_read_models(pool, store, tables)
    return await read_models(pool, tables) == live


async def test_a_person_who_agreed_to_neither_housing_nor_aid_is_told_so_and_kept_by_neither(
    services: RunningServices,
) -> None:
    await open_shelter(services, beds=4)
    await donate_hot_meals(services)
    answer = await register(services, "anonymous_statistics")
    [person_id] = answer["person_ids"]
    await caught_up(services, "housing", "aid")

    assert {(entry["person_id"], entry["purpose"]) for entry in answer["not_informed"]} == {
        (person_id, "housing"),
        (person_id, "aid"),
    }
    housing = next(entry for entry in answer["not_informed"] if entry["purpose"] == "housing")
    assert housing["detail"].startswith("housing was not asked to place this person")
    assert f"POST /v1/persons/{person_id}/consents" in housing["detail"]
    assert '{"purpose": "housing", "given": true}' in housing["detail"]
    assert await forgotten_by_housing(services, person_id)
    kept = await services.pool("housing").fetchval(
        "SELECT count(*) FROM placements WHERE person_id = $1", UUID(person_id)
    )
    assert kept == 0  # not even a tombstone: housing never heard of them
    refused = await hot_meal(services, person_id)
    assert refused.status_code == 422
    assert refused.json()["rule"] == "no_consent"
    assert "POST /v1/persons/{id}/consents" in refused.json()["detail"]
    view = await aid_view(services, person_id)
    assert (view["status"], view["age_band"], view["arrival_id"]) == ("no_consent", None, None)
    assert {step["rule"] for step in view["next"]} == {"no_consent"}
    statistics = await services.intake.get(
        "/v1/statistics/arrivals", params={"by": "day"}, headers=OPERATOR
    )
    assert statistics.json() == [{"day": "2022-09-24", "people": 1, "arrivals": 1}]


async def test_an_arrival_with_every_usual_consent_has_nothing_left_uninformed(
    services: RunningServices,
) -> None:
    answer = await register(services, "housing", "aid")
    await caught_up(services, "housing", "aid")

    assert answer["not_informed"] == []
    statistics = await services.intake.get(
        "/v1/statistics/arrivals", params={"by": "day"}, headers=OPERATOR
    )
    assert statistics.json() == []  # no anonymous_statistics consent: not counted, as before


async def test_a_batch_item_says_per_person_which_services_were_not_informed(
    services: RunningServices,
) -> None:
    body = {**arrival(person(), person(given="Мария", relation="spouse")), "consents": ["aid"]}
    items = [{"idempotency_key": "tablet-1", "arrival": body}]
    answer = await services.intake.post(
        "/v1/arrival-batches", json={"items": items}, headers=as_partner(services)
    )
    [item] = answer.json()["items"]

    assert item["status"] == "created"
    assert [(entry["person_id"], entry["purpose"]) for entry in item["not_informed"]] == [
        (person_id, "housing") for person_id in item["person_ids"]
    ]


async def test_housing_places_a_person_once_they_agree_frees_and_forgets_them_when_they_withdraw_and_takes_them_back_as_new(  # noqa: E501
    services: RunningServices,
) -> None:
    shelter_id = await open_shelter(services, beds=1)
    [late] = (await register(services, "aid"))["person_ids"]
    await caught_up(services, "housing")
    assert await forgotten_by_housing(services, late)

    await consent(services, late, "housing", given=True)
    held = await placed_as(services, late, "held")
    [waiting] = (await register(services, "housing", "aid", given="Ждущий"))["person_ids"]
    await placed_as(services, waiting, "waiting")
    await consent(services, late, "housing", given=False)
    passed_on = await placed_as(services, waiting, "held")  # the freed bed passes on
    await eventually(lambda: forgotten_by_housing(services, late), what="housing to forget")
    history = await services.housing.get(f"/v1/persons/{late}/placements", headers=OPERATOR)
    row = await services.pool("housing").fetchrow(
        "SELECT * FROM placements WHERE person_id = $1", UUID(late)
    )
    await consent(services, late, "housing", given=True)
    back = await placed_as(services, late, "waiting")  # back as new: the bed went on
    history_again = await services.housing.get(f"/v1/persons/{late}/placements", headers=OPERATOR)

    assert (held["shelter_id"], held["bed_number"]) == (shelter_id, 1)
    assert (passed_on["shelter_id"], passed_on["bed_number"]) == (shelter_id, 1)
    assert history.json() == []
    assert row is not None and row["status"] == "forgotten"
    assert (row["arrival_id"], row["shelter_id"], row["reason"]) == (None, None, None)
    assert not (row["priority"] or row["needs_accessible"] or row["needs_family"])
    assert back["waitlist_position"] == 1
    assert [line["what"] for line in history_again.json()] == ["waitlisted"]
    assert {"PlaceFreedOnConsentWithdrawal", "PersonForgotten"} <= await event_types_of(
        services.pool("housing")
    )
    assert await rebuilt_equals_live(services, "housing", HOUSING_TABLES)


async def test_a_person_who_departed_and_withdrew_is_not_placed_by_a_consent_given_again(
    services: RunningServices,
) -> None:
    await open_shelter(services, beds=2)
    [person_id] = (await register(services, "housing"))["person_ids"]
    await placed_as(services, person_id, "held")
    departure = await services.intake.post(
        f"/v1/persons/{person_id}/departure", json={"reason": "found_own_housing"},
        headers=as_partner(services),
    )  # fmt: skip
    assert departure.status_code == 200, departure.text
    await placed_as(services, person_id, "departed")

    await consent(services, person_id, "housing", given=False)
    await consent(services, person_id, "housing", given=True)
    await caught_up(services, "housing")
    row = await services.pool("housing").fetchrow(
        "SELECT * FROM placements WHERE person_id = $1", UUID(person_id)
    )
    history = await services.housing.get(f"/v1/persons/{person_id}/placements", headers=OPERATOR)

    assert row is not None and (row["status"], row["arrival_id"]) == ("departed", None)
    assert history.json() == []


async def test_a_group_member_who_withdraws_leaves_the_others_in_their_places(
    services: RunningServices,
) -> None:
    await open_shelter(services, beds=3)
    body = arrival(person(), person(given="Мария", relation="spouse"))
    answer = await services.intake.post("/v1/arrivals", json=body, headers=as_partner(services))
    first, second = answer.json()["person_ids"]
    kept = await placed_as(services, second, "held")
    await placed_as(services, first, "held")

    await consent(services, first, "housing", given=False)
    await eventually(lambda: forgotten_by_housing(services, first), what="housing to forget")
    shelters = (await services.housing.get("/v1/shelters", headers=OPERATOR)).json()

    assert await placed_as(services, second, "held") == kept
    assert [(shelter["held"], shelter["free"]) for shelter in shelters] == [(1, 2)]


async def test_aid_serves_a_person_once_they_agree_forgets_them_when_they_withdraw_and_serves_them_again_as_new(  # noqa: E501
    services: RunningServices,
) -> None:
    shelter_id = await open_shelter(services, beds=2)
    await donate_hot_meals(services)
    [person_id] = (await register(services, "housing"))["person_ids"]
    await placed_as(services, person_id, "held")
    await caught_up(services, "aid")
    before = await hot_meal(services, person_id)

    await consent(services, person_id, "aid", given=True)
    await aid_status(services, person_id, "registered")
    served = await hot_meal(services, person_id)
    check_in = await services.housing.post(
        f"/v1/shelters/{shelter_id}/check-ins", json={"person_id": person_id},
        headers=as_operator(),
    )  # fmt: skip
    assert check_in.status_code == 200, check_in.text
    resident = await aid_status(services, person_id, "checked_in")
    await consent(services, person_id, "aid", given=False)
    forgotten = await aid_status(services, person_id, "no_consent")
    after = await hot_meal(services, person_id)
    await consent(services, person_id, "aid", given=True)
    again = await aid_status(services, person_id, "registered")
    served_again = await hot_meal(services, person_id)

    assert (before.status_code, before.json()["rule"]) == (422, "no_consent")
    assert served.status_code == 201, served.text
    assert resident["entitlements"] == [{"item": "food_parcel", "per_day": 1}]
    assert (forgotten["age_band"], forgotten["arrival_id"], forgotten["vulnerable"]) == (
        None, None, False,
    )  # fmt: skip
    assert forgotten["entitlements"] == []
    assert (after.status_code, after.json()["rule"]) == (422, "no_consent")
    assert again["age_band"] is not None and again["arrival_id"] is not None
    # back as new, but what they received still counts: a withdrawal resets no limit
    assert (served_again.status_code, served_again.json()["rule"]) == (422, "min_interval")
    assert "BeneficiaryForgotten" in await event_types_of(services.pool("aid"))
    assert await rebuilt_equals_live(services, "aid", AID_TABLES)
