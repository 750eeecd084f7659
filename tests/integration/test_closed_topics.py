"""What operators and partners type stays with the service it was typed into, and what the
topics carry is made of codes: housing refuses a partner id or a language that is not one,
and a shelter's names and district, or an offer's city, never reach a topic."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from services.intake.partners import Scope, create_partner
from shared.topics import AID_EVENTS, HOUSING_EVENTS
from tests.conftest import RunningServices
from tests.integration.aid_helpers import RunningAid, running_aid
from tests.integration.helpers import CANARY, OPERATOR, published_codes_only
from tests.integration.helpers import posted_to_housing as posted
from tests.stack import Stack

pytestmark = pytest.mark.integration


@pytest.fixture
def service_names() -> tuple[str, ...]:
    return ("intake", "housing")


OFFER = {"places": 2, "available_from": "2022-09-25", "available_until": "2022-10-25"}


@pytest.mark.parametrize(
    ("path", "body", "pointer"),
    [
        ("/v1/host-offers", {**OFFER, "partner_id": "Host Network", "district": "Derkul"},
         "#/partner_id"),
        ("/v1/host-offers", {**OFFER, "partner_id": "hn-1", "district": "Derkul",
                             "languages": ["Russian"]}, "#/languages/0"),
        ("/v1/shelters", {"name": "Gym 5", "kind": "gym", "district": "Centre",
                          "units": [{"name": "Hall", "places": 9, "languages": ["русский"]}]},
         "#/units/0/languages/0"),
        ("/v1/shelters", {"name": "Gym 5", "kind": "gym", "district": "Centre", "beds": 9,
                          "contact_partner_id": "Camp staff"}, "#/contact_partner_id"),
    ],
)  # fmt: skip
async def test_housing_refuses_a_partner_id_or_a_language_that_is_not_a_code_naming_the_field(
    services: RunningServices, path: str, body: dict[str, Any], pointer: str
) -> None:
    refused = await posted(services, path, body)

    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert [error["pointer"] for error in refused.json()["errors"]] == [pointer]
    async with services.pool("housing").acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM events") == 0


async def test_a_shelters_names_and_district_are_shown_by_housing_and_never_published(
    services: RunningServices,
) -> None:
    opened = await posted(services, "/v1/shelters", {
        "name": f"{CANARY} camp", "kind": "camp_dormitory", "district": f"{CANARY} district",
        "units": [{"name": f"{CANARY} dorm", "places": 6, "languages": ["ru", "kk"]}]})  # fmt: skip
    assert opened.status_code == 201, opened.text
    shelter_id = opened.json()["shelter_id"]
    added = await posted(services, f"/v1/shelters/{shelter_id}/units",
                         {"name": f"{CANARY} annex", "places": 2})  # fmt: skip
    offered = await posted(
        services,
        "/v1/host-offers",
        {**OFFER, "partner_id": "hn-1", "district": f"{CANARY} village"},
    )
    assert added.status_code == offered.status_code == 201, (added.text, offered.text)

    view = (await services.housing.get(f"/v1/shelters/{shelter_id}", headers=OPERATOR)).json()
    assert (view["name"], view["district"]) == (f"{CANARY} camp", f"{CANARY} district")
    assert sorted(unit["name"] for unit in view["units"]) == [f"{CANARY} annex", f"{CANARY} dorm"]
    bootstrap = services.apps["housing"].state.runtime.settings.kafka_bootstrap_servers

    records = await published_codes_only(
        bootstrap, services.namespace, HOUSING_EVENTS,
        until=lambda records: len(records) >= 3,
        what="the shelter, the unit and the offer published",
    )  # fmt: skip
    types = {json.loads(record.value)["type"] for record in records}
    assert {"ShelterOpened", "UnitAdded", "HostOfferMade"} <= types
    assert "ShelterDescribed" not in types


@pytest.fixture
async def aid(stack: Stack, databases: dict[str, str], namespace: str) -> AsyncIterator[RunningAid]:
    async with running_aid(stack, databases, namespace) as running:
        yield running


async def test_an_offers_city_is_matched_and_shown_by_aid_and_never_published(
    aid: RunningAid,
) -> None:
    answer = await aid.post("/v1/offers", {
        "kind": "ride", "partner": "Ride network", "title": "Seats", "country": "GE",
        "city": f"{CANARY}city", "places": 3, "languages": ["ru"]})  # fmt: skip
    assert answer.status_code == 201, answer.text

    shown = (await aid.get("/v1/offers")).json()
    assert [offer["city"] for offer in shown] == [f"{CANARY}city"]

    await published_codes_only(
        aid.bootstrap, aid.namespace, AID_EVENTS,
        until=lambda records: any(b"OfferPublished" in record.value for record in records),
        what="the offer published",
    )  # fmt: skip


async def test_a_partner_whose_id_is_not_a_code_cannot_be_registered(
    services: RunningServices,
) -> None:
    async with services.pool("intake").acquire() as conn:
        with pytest.raises(ValueError, match="not a partner id"):
            await create_partner(conn, "Host Network", "Host network", {Scope.READ_OWN_CASES})
        with pytest.raises(asyncpg.CheckViolationError):  # nor by any other way in
            await conn.execute(
                "INSERT INTO partners (partner_id, name, key_hash, scopes) "
                "VALUES ('Host Network', 'x', 'y', '{}')"
            )
