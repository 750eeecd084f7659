"""A partner posting arrivals over HTTP, against the real Postgres and Kafka."""

from __future__ import annotations

import pytest

from tests.conftest import RunningServices
from tests.factories import arrival, person

pytestmark = pytest.mark.integration


ARRIVALS_STORED = "SELECT count(*) FROM events WHERE event_type = 'ArrivalRegistered'"


def headers(services: RunningServices, key: str = "k-1") -> dict[str, str]:
    return {"X-API-Key": services.partner_key, "Idempotency-Key": key}


async def count(services: RunningServices, sql: str) -> int:
    async with services.pool("intake").acquire() as conn:
        return int(await conn.fetchval(sql))


async def test_a_retried_post_with_the_same_key_creates_exactly_one_arrival(
    services: RunningServices,
) -> None:
    body = arrival(person(), person(given="Мария", family="Смирнова", relation="spouse"))
    first = await services.intake.post("/v1/arrivals", json=body, headers=headers(services))
    second = await services.intake.post("/v1/arrivals", json=body, headers=headers(services))

    assert first.status_code == 201
    assert second.status_code == 201
    assert second.json() == first.json()
    assert await count(services, ARRIVALS_STORED) == 1
    assert await count(services, "SELECT count(*) FROM person_details") == 2


async def test_the_same_key_with_another_body_is_refused_and_creates_nothing(
    services: RunningServices,
) -> None:
    await services.intake.post("/v1/arrivals", json=arrival(), headers=headers(services))
    other = arrival(person(given="Иван"))

    answer = await services.intake.post("/v1/arrivals", json=other, headers=headers(services))

    assert answer.status_code == 409
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert "different request body" in answer.json()["detail"]
    assert await count(services, ARRIVALS_STORED) == 1


async def test_a_malformed_post_gets_422_naming_the_field_and_stores_nothing(
    services: RunningServices,
) -> None:
    bad = arrival(person(sex="robot"), person(birth_date="2999-01-01"))

    answer = await services.intake.post("/v1/arrivals", json=bad, headers=headers(services))

    assert answer.status_code == 422
    problem = answer.json()
    assert answer.headers["content-type"].startswith("application/problem+json")
    pointers = {error["pointer"] for error in problem["errors"]}
    assert "#/members/0/sex" in pointers
    assert "#/members/1" in pointers  # the birth date rule is checked on the whole person
    assert "#/members/0/sex" in problem["detail"]
    assert await count(services, "SELECT count(*) FROM events") == 0
    assert await count(services, "SELECT count(*) FROM person_details") == 0
    assert await count(services, "SELECT count(*) FROM idempotency_keys") == 0


async def test_unknown_fields_are_refused(services: RunningServices) -> None:
    body = arrival(person(passport_scan="..."))

    answer = await services.intake.post("/v1/arrivals", json=body, headers=headers(services))

    assert answer.status_code == 422
    assert answer.json()["errors"][0]["pointer"] == "#/members/0/passport_scan"


async def test_a_post_without_a_valid_key_is_refused(services: RunningServices) -> None:
    no_key = await services.intake.post(
        "/v1/arrivals", json=arrival(), headers={"Idempotency-Key": "x"}
    )
    wrong_key = await services.intake.post(
        "/v1/arrivals", json=arrival(), headers={"Idempotency-Key": "x", "X-API-Key": "rk_nope"}
    )

    assert no_key.status_code == 401
    assert wrong_key.status_code == 401
    assert await count(services, "SELECT count(*) FROM events") == 0


async def test_a_partner_reads_its_own_case_and_not_another_partners(
    services: RunningServices,
) -> None:
    from services.intake.partners import Scope, create_partner

    async with services.pool("intake").acquire() as conn:
        other_key = await create_partner(conn, "wp-other", "Other", {Scope.READ_OWN_CASES})
    created = await services.intake.post("/v1/arrivals", json=arrival(), headers=headers(services))
    arrival_id = created.json()["arrival_id"]

    own = await services.intake.get(
        f"/v1/arrivals/{arrival_id}", headers={"X-API-Key": services.partner_key}
    )
    foreign = await services.intake.get(
        f"/v1/arrivals/{arrival_id}", headers={"X-API-Key": other_key}
    )

    assert own.status_code == 200
    assert own.json()["members"][0]["personal"]["given_name"] == "Алексей"
    assert own.json()["members"][0]["age_band"] == "18-29"
    assert foreign.status_code == 404
    assert "Алексей" not in foreign.text


async def test_an_oversized_body_is_refused_before_it_is_read(services: RunningServices) -> None:
    from shared.body_limit import MAX_BODY_BYTES

    huge = b'{"members": [' + b" " * (MAX_BODY_BYTES + 1) + b"]}"
    answer = await services.intake.post(
        "/v1/arrivals", content=huge,
        headers={**headers(services), "Content-Type": "application/json"},
    )  # fmt: skip

    assert answer.status_code == 413
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert await count(services, ARRIVALS_STORED) == 0
