"""Names are found however they were spelled: each of the real-world spellings finds the
person registered in Cyrillic, by an operator's search and by duplicate detection, on the
real stack; the blind indexes stay keyed (no spelling of a name is stored in the clear)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import uuid4

import pytest

from tests.conftest import OPERATOR_KEY, RunningServices
from tests.factories import arrival, person
from tests.name_spellings import SPELLINGS

pytestmark = pytest.mark.integration

OPERATOR = {"X-API-Key": OPERATOR_KEY}
FAMILY = ("Иванова", "Ivanova")  # the same family name, in Cyrillic and by ICAO


async def register(services: RunningServices, member: dict[str, Any]) -> str:
    answer = await services.intake.post(
        "/v1/arrivals",
        json=arrival(member),
        headers={"X-API-Key": services.partner_key, "Idempotency-Key": str(uuid4())},
    )
    assert answer.status_code == 201, answer.text
    [person_id] = answer.json()["person_ids"]
    return str(person_id)


def born(index: int) -> str:
    return (date(1970, 1, 1) + timedelta(days=index)).isoformat()


async def test_every_spelling_finds_the_cyrillic_name_by_search_and_as_a_duplicate(
    services: RunningServices,
) -> None:
    originals = {}
    for index, (cyrillic, _) in enumerate(SPELLINGS):
        originals[index] = await register(
            services, person(given=cyrillic, family=FAMILY[0], birth_date=born(index))
        )
    latins = {}
    for index, (_, latin) in enumerate(SPELLINGS):
        latins[index] = await register(
            services, person(given=latin, family=FAMILY[1], birth_date=born(index))
        )

    flagged = await services.intake.get("/v1/duplicates?limit=500", headers=OPERATOR)
    pairs = {(flag["person_id"], flag["candidate_person_id"]) for flag in flagged.json()}
    not_found, not_flagged = [], []
    for index, (cyrillic, latin) in enumerate(SPELLINGS):
        found = await services.intake.post(
            "/v1/person-searches",
            json={"name": f"{latin} {FAMILY[1]}", "limit": 100},
            headers=OPERATOR,
        )
        assert found.status_code == 200, found.text
        if originals[index] not in {hit["person_id"] for hit in found.json()}:
            not_found.append((cyrillic, latin))
        if (latins[index], originals[index]) not in pairs:
            not_flagged.append((cyrillic, latin))

    assert not_found == []
    assert not_flagged == []


async def test_a_cyrillic_query_finds_a_name_registered_in_latin(
    services: RunningServices,
) -> None:
    registered = await register(services, person(given="Yuliya", family="Khabibullina"))
    found = await services.intake.post(
        "/v1/person-searches", json={"name": "Юлия Хабибуллина"}, headers=OPERATOR
    )
    assert [hit["person_id"] for hit in found.json()] == [registered]


async def test_the_index_holds_keyed_hashes_only_never_a_spelling(
    services: RunningServices,
) -> None:
    await register(services, person(given="Юлия", family="Хабибуллина"))
    rows = await services.pool("intake").fetch("SELECT kind, value FROM person_index")
    values = " ".join(row["value"] for row in rows).upper()
    assert len(rows) > 3  # the name under several spellings, and the name with the birth date
    for spelling in ("IULIA", "YULIYA", "JULIA", "HABIBULINA", "KHABIBULLINA", "ЮЛИЯ"):
        assert spelling not in values
