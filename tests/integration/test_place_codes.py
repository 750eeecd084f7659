"""A shelter's and a unit's short public code ("atameken", "room-12") travels on housing's
topic, so a partner's volunteer can tell a person where to go; the names operators type do
not. Codes are from a closed form, shelter codes unique, unit codes unique in their shelter."""

from __future__ import annotations

import json
from typing import Any
from uuid import uuid4

import pytest

from shared.topics import HOUSING_EVENTS
from tests.conftest import RunningServices, eventually
from tests.factories import arrival, person
from tests.integration.helpers import CANARY, OPERATOR, published_codes_only
from tests.integration.helpers import posted_to_housing as posted

pytestmark = pytest.mark.integration


@pytest.fixture
def service_names() -> tuple[str, ...]:
    return ("intake", "housing")


def shelter(code: str | None, *unit_codes: str | None) -> dict[str, Any]:
    units = [{"name": f"{CANARY} room {n}", "places": 4, "code": unit_code}
             for n, unit_code in enumerate(unit_codes)]  # fmt: skip
    return {"name": f"{CANARY} camp", "code": code, "kind": "camp_dormitory",
            "district": f"{CANARY} district", "units": units}  # fmt: skip


async def events_stored(services: RunningServices) -> int:
    async with services.pool("housing").acquire() as conn:
        return int(await conn.fetchval("SELECT count(*) FROM events"))


async def placement_shown(services: RunningServices, arrival_id: str) -> dict[str, Any]:
    """The person as intake shows them to the partner who registered them, once held."""

    async def shown() -> dict[str, Any] | None:
        answer = await services.intake.get(
            f"/v1/arrivals/{arrival_id}/placement", headers={"X-API-Key": services.partner_key}
        )
        [one] = answer.json()["people"]
        return dict(one) if one["status"] == "held" else None

    return await eventually(shown, what="intake to show the person held")


async def test_a_placement_answer_names_the_place_by_its_codes_and_only_codes_are_published(
    services: RunningServices,
) -> None:
    opened = await posted(services, "/v1/shelters", shelter("atameken", "room-12"))
    assert opened.status_code == 201, opened.text
    shelter_id = opened.json()["shelter_id"]
    registered = await services.intake.post(
        "/v1/arrivals",
        json=arrival(person()),
        headers={"X-API-Key": services.partner_key, "Idempotency-Key": str(uuid4())},
    )
    assert registered.status_code == 201, registered.text

    shown = await placement_shown(services, registered.json()["arrival_id"])
    assert shown["shelter_id"] == shelter_id
    assert (shown["shelter_code"], shown["unit_code"]) == ("atameken", "room-12")
    added = await posted(services, f"/v1/shelters/{shelter_id}/units",
                         {"name": f"{CANARY} annex", "places": 2, "code": "annex"})  # fmt: skip
    assert added.status_code == 201, added.text
    view = (await services.housing.get(f"/v1/shelters/{shelter_id}", headers=OPERATOR)).json()
    assert view["code"] == "atameken"
    assert sorted(unit["code"] for unit in view["units"]) == ["annex", "room-12"]

    bootstrap = services.apps["housing"].state.runtime.settings.kafka_bootstrap_servers

    records = await published_codes_only(
        bootstrap, services.namespace, HOUSING_EVENTS,
        until=lambda records: any(b'"UnitAdded"' in record.value for record in records),
        what="the shelter, the hold and the unit published",
    )  # fmt: skip
    events = {event["type"]: event for event in (json.loads(r.value) for r in records)}
    assert events["ShelterOpened"]["code"] == "atameken"
    assert [unit["code"] for unit in events["ShelterOpened"]["units"]] == ["room-12"]
    assert events["UnitAdded"]["unit"]["code"] == "annex"


async def test_a_unit_added_with_a_code_is_named_by_it_in_the_placement_answer(
    services: RunningServices,
) -> None:
    opened = await posted(services, "/v1/shelters", shelter("gym-5", "hall"))
    shelter_id = opened.json()["shelter_id"]
    view = (await services.housing.get(f"/v1/shelters/{shelter_id}", headers=OPERATOR)).json()
    [hall] = view["units"]
    # the hall is full, so the person can only go to the unit added after
    full = await posted(services, f"/v1/shelters/{shelter_id}/units/{hall['unit_id']}/capacity",
                        {"places": 0})  # fmt: skip
    assert full.status_code == 200, full.text
    added = await posted(services, f"/v1/shelters/{shelter_id}/units",
                         {"name": f"{CANARY} annex", "places": 2, "code": "annex"})  # fmt: skip
    assert added.status_code == 201, added.text
    registered = await services.intake.post(
        "/v1/arrivals",
        json=arrival(person()),
        headers={"X-API-Key": services.partner_key, "Idempotency-Key": str(uuid4())},
    )

    shown = await placement_shown(services, registered.json()["arrival_id"])
    assert (shown["shelter_code"], shown["unit_code"]) == ("gym-5", "annex")


@pytest.mark.parametrize(
    ("path", "body", "pointer"),
    [
        ("/v1/shelters", shelter("Atameken camp", "room-1"), "#/code"),
        ("/v1/shelters", shelter("atameken", "room 12"), "#/units/0/code"),
        ("/v1/shelters", shelter("a", "room-1"), "#/code"),
        ("/v1/shelters", shelter("atameken", "-room"), "#/units/0/code"),
        ("/v1/host-offers", {"partner_id": "hn-1", "district": "Derkul", "places": 2,
                             "available_from": "2022-09-25", "available_until": "2022-10-25",
                             "code": "hosts-home"}, "#/code"),
    ],
)  # fmt: skip
async def test_housing_refuses_a_code_that_is_not_one_naming_the_field(
    services: RunningServices, path: str, body: dict[str, Any], pointer: str
) -> None:
    refused = await posted(services, path, body)

    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert [error["pointer"] for error in refused.json()["errors"]] == [pointer]
    assert await events_stored(services) == 0


async def test_a_code_already_taken_is_refused_naming_the_field_and_nothing_is_stored(
    services: RunningServices,
) -> None:
    opened = await posted(services, "/v1/shelters", shelter("atameken", "room-1"))
    assert opened.status_code == 201, opened.text
    shelter_id = opened.json()["shelter_id"]
    before = await events_stored(services)

    taken_shelter = await posted(services, "/v1/shelters", shelter("atameken", "room-1"))
    taken_unit = await posted(services, f"/v1/shelters/{shelter_id}/units",
                              {"name": "Annex", "places": 2, "code": "room-1"})  # fmt: skip
    twice = await posted(services, "/v1/shelters", shelter("other", "room-1", "room-1"))

    assert [taken_shelter.status_code, taken_unit.status_code, twice.status_code] == [409, 409, 422]
    pointers = [[error["pointer"] for error in answer.json()["errors"]]
                for answer in (taken_shelter, taken_unit, twice)]  # fmt: skip
    assert pointers == [["#/code"], ["#/code"], ["#/units/1/code"]]
    assert "atameken" in taken_shelter.json()["detail"]
    assert await events_stored(services) == before
    other = await posted(services, "/v1/shelters", shelter("other", "room-1"))
    assert other.status_code == 201, other.text  # a unit code is unique in its shelter only
