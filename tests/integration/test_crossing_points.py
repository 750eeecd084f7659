"""Crossing points are a managed list: operators add one, arrivals name a code from it, and
intake.events.v2 carries only that code."""

from __future__ import annotations

import json
from typing import Any
from uuid import uuid4

import pytest

from tests.conftest import OPERATOR_KEY, RunningServices, eventually
from tests.factories import arrival, person
from tests.integration.helpers import read_topic

pytestmark = pytest.mark.integration

OPERATOR = {"X-API-Key": OPERATOR_KEY}


@pytest.fixture
def service_names() -> tuple[str, ...]:
    return ("intake",)


def partner(services: RunningServices) -> dict[str, str]:
    return {"X-API-Key": services.partner_key, "Idempotency-Key": str(uuid4())}


def crossing_at(code: str) -> dict[str, Any]:
    return {**arrival(person(given=f"Пограничный{code}")), "crossing_point": code}


async def published_arrivals(services: RunningServices, count: int) -> list[dict[str, Any]]:
    bootstrap = services.apps["intake"].state.runtime.settings.kafka_bootstrap_servers
    topic = f"{services.namespace}.intake.events.v2"

    async def arrivals() -> list[dict[str, Any]] | None:
        records = await read_topic(bootstrap, topic)
        found = [json.loads(r.value) for r in records if b"ArrivalRegistered" in r.value]
        return found if len(found) >= count else None

    return await eventually(arrivals, what=f"{count} arrivals on the topic")


async def test_an_arrival_at_an_unknown_crossing_point_is_refused_naming_the_field_and_the_list(
    services: RunningServices,
) -> None:
    refused = await services.intake.post(
        "/v1/arrivals", json=crossing_at("the bridge by the river"), headers=partner(services)
    )

    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    (error,) = refused.json()["errors"]
    assert error["pointer"] == "#/crossing_point"
    assert "GET /v1/crossing-points" in error["detail"]
    async with services.pool("intake").acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM events") == 0


async def test_operators_add_a_crossing_point_and_then_arrivals_may_name_it(
    services: RunningServices,
) -> None:
    by_partner = await services.intake.post(
        "/v1/crossing-points", json={"code": "chapaev", "name": "Чапаев"},
        headers=partner(services),
    )  # fmt: skip
    assert by_partner.status_code == 403, by_partner.text
    before = await services.intake.post(
        "/v1/arrivals", json=crossing_at("chapaev"), headers=partner(services)
    )
    assert before.status_code == 422, before.text

    added = await services.intake.post(
        "/v1/crossing-points", json={"code": "chapaev", "name": "Чапаев"},
        headers={**OPERATOR, "Idempotency-Key": "add-chapaev"},
    )  # fmt: skip
    listed = await services.intake.get(
        "/v1/crossing-points", headers={"X-API-Key": services.partner_key}
    )
    after = await services.intake.post(
        "/v1/arrivals", json=crossing_at(" Chapaev "), headers=partner(services)
    )

    assert added.status_code == 201, added.text
    assert {"code": "chapaev", "name": "Чапаев"} in listed.json()
    assert {"code": "syrym", "name": "Syrym (Mashtakovo), road"} in listed.json()  # seeded
    assert after.status_code == 201, after.text
    again = await services.intake.post(
        "/v1/crossing-points", json={"code": "chapaev", "name": "Другое"},
        headers={**OPERATOR, "Idempotency-Key": "add-chapaev-again"},
    )  # fmt: skip
    assert again.status_code == 409, again.text


async def test_a_code_that_is_not_a_closed_form_is_refused_naming_the_field(
    services: RunningServices,
) -> None:
    for code in ("Chapaev", "c", "чапаев", "chapaev bridge", "1chapaev"):
        refused = await services.intake.post(
            "/v1/crossing-points", json={"code": code, "name": "Чапаев"},
            headers={**OPERATOR, "Idempotency-Key": str(uuid4())},
        )  # fmt: skip
        assert refused.status_code == 422, (code, refused.text)
        assert [e["pointer"] for e in refused.json()["errors"]] == ["#/code"]


async def test_a_batch_rejects_only_the_item_at_an_unknown_crossing_point(
    services: RunningServices,
) -> None:
    answer = await services.intake.post(
        "/v1/arrival-batches",
        json={"items": [
            {"idempotency_key": "tablet-1", "arrival": crossing_at("taskala")},
            {"idempotency_key": "tablet-2", "arrival": crossing_at("behind the shop")},
        ]},
        headers={"X-API-Key": services.partner_key},
    )  # fmt: skip

    assert answer.status_code == 200, answer.text
    kept, rejected = answer.json()["items"]
    assert kept["status"] == "created"
    assert rejected["status"] == "rejected"
    assert [e["pointer"] for e in rejected["errors"]] == ["#/items/1/arrival/crossing_point"]


async def test_the_topic_carries_the_crossing_points_code_and_never_its_name(
    services: RunningServices,
) -> None:
    added = await services.intake.post(
        "/v1/crossing-points", json={"code": "ural-bridge", "name": "Мост через Урал"},
        headers={**OPERATOR, "Idempotency-Key": str(uuid4())},
    )  # fmt: skip
    assert added.status_code == 201, added.text
    for code in ("ural-bridge", "SYRYM"):
        answer = await services.intake.post(
            "/v1/arrivals", json=crossing_at(code), headers=partner(services)
        )
        assert answer.status_code == 201, answer.text

    published = await published_arrivals(services, 2)

    assert sorted(event["crossing_point"] for event in published) == ["syrym", "ural-bridge"]
    assert all("crossing_point_code" not in event for event in published)
    assert "Мост" not in json.dumps(published, ensure_ascii=False)
