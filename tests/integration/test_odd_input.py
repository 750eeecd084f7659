"""Odd input on intake's routes (and housing's due-out) is a 4xx problem naming what and where,
never a 500: values nested hundreds of levels deep, text Postgres or UTF-8 cannot hold, dates
no calendar in this system needs, moments Postgres cannot store; on the real stack."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import httpx
import pytest

from shared.http import PROBLEM_JSON
from tests.conftest import OPERATOR_KEY, RunningServices
from tests.factories import arrival, person

pytestmark = pytest.mark.integration
OPERATOR = {"X-API-Key": OPERATOR_KEY}


@pytest.fixture
def service_names() -> tuple[str, ...]:
    return ("intake", "housing")


def nested(levels: int) -> Any:
    value: Any = "deep"
    for level in range(levels):
        value = [value] if level % 2 else {"seeing": value}
    return value


def problem(answer: httpx.Response, status: int = 422) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith(PROBLEM_JSON)
    return dict(answer.json())


def pointers(answer: httpx.Response) -> list[str]:
    return [error["pointer"] for error in problem(answer)["errors"]]


async def send(
    services: RunningServices, path: str, body: Any, key: str | None = None
) -> httpx.Response:
    """A POST with the body as raw JSON (ASCII escapes, as a client may send a lone surrogate)."""
    headers = {"X-API-Key": services.partner_key, "Content-Type": "application/json",
               "Idempotency-Key": key or str(uuid4())}  # fmt: skip
    return await services.intake.post(path, content=json.dumps(body), headers=headers)


async def registered(services: RunningServices, body: dict[str, Any]) -> str:
    answer = await send(services, "/v1/arrivals", body)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["person_ids"][0])


async def test_a_correction_value_nested_900_levels_deep_is_a_422_naming_the_value(
    services: RunningServices,
) -> None:
    person_id = await registered(services, arrival(person()))

    for field in ("washington_group", "skills"):
        body = {"field": field, "value": nested(900), "reason": "nested on purpose"}
        answer = await send(services, f"/v1/persons/{person_id}/corrections", body)
        assert pointers(answer) == ["#/value"]
        assert "levels deep" in answer.text

    shallow = {"field": "documents", "value": [{"type": "foreign_passport", "number": "75 1"}],
               "reason": "a real correction"}  # fmt: skip
    accepted = await send(services, f"/v1/persons/{person_id}/corrections", shallow)
    assert accepted.status_code == 200, accepted.text


async def test_text_with_a_lone_surrogate_or_a_nul_is_a_422_saying_where(
    services: RunningServices,
) -> None:
    for text, what in (("ref\ud800", "lone surrogate"), ("ref\x00", "NUL")):
        body = {**arrival(person()), "partner_reference": text}
        answer = await send(services, "/v1/arrivals", body)
        detail = json.dumps(problem(answer), ensure_ascii=False)
        assert what in detail and "#/partner_reference" in detail


@pytest.mark.parametrize(
    "day", ["1999-12-31", "0001-01-01", "the day after tomorrow", "9999-12-31"]
)
async def test_an_arrival_date_before_2000_or_after_today_is_a_422_naming_it(
    services: RunningServices, day: str
) -> None:
    if day == "the day after tomorrow":
        # the day after tomorrow in UTC: it is "today" nowhere on Earth yet (UTC+14 is the earliest)
        day = (datetime.now(UTC).date() + timedelta(days=2)).isoformat()
    body = {**arrival(person()), "arrival_date": day}

    single = await send(services, "/v1/arrivals", body)
    batch = await send(services, "/v1/arrival-batches",
                       {"items": [{"idempotency_key": "item-1", "arrival": body}]})  # fmt: skip

    assert pointers(single) == ["#/arrival_date"]
    assert "between 2000-01-01 and today" in single.text
    [item] = batch.json()["items"]
    assert item["status"] == "rejected"
    assert [error["pointer"] for error in item["errors"]] == ["#/items/0/arrival/arrival_date"]


async def test_a_birth_date_after_the_arrival_is_a_422_naming_the_member(
    services: RunningServices,
) -> None:
    late = person(given="Поздний", birth_date="2022-09-25")
    body = {**arrival(person(), late), "arrival_date": "2022-09-24"}

    single = await send(services, "/v1/arrivals", body)
    batch = await send(services, "/v1/arrival-batches",
                       {"items": [{"idempotency_key": "item-1", "arrival": body}]})  # fmt: skip
    person_id = await registered(services, arrival(person()))
    correction = await send(
        services,
        f"/v1/persons/{person_id}/corrections",
        {"field": "birth_date", "value": "2022-10-01", "reason": "typed the wrong year"},
    )
    on_the_day = await send(services, "/v1/arrivals", {
        **arrival(person(birth_date="2022-09-24")), "arrival_date": "2022-09-24"})  # fmt: skip

    assert pointers(single) == ["#/members/1/birth_date"]
    assert "after the arrival date 2022-09-24" in single.text
    [item] = batch.json()["items"]
    assert [e["pointer"] for e in item["errors"]] == ["#/items/0/arrival/members/1/birth_date"]
    assert pointers(correction) == ["#/value"]
    assert "after the arrival date" in correction.text
    assert on_the_day.status_code == 201  # born on the way is possible


@pytest.mark.parametrize(
    "before", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59"]
)
async def test_a_page_boundary_postgres_cannot_store_is_a_422(
    services: RunningServices, before: str
) -> None:
    answer = await services.intake.get(
        "/v1/arrivals", params={"before": before}, headers={"X-API-Key": services.partner_key}
    )
    assert pointers(answer) == ["query:before"]


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
async def test_the_due_out_list_of_a_day_out_of_range_is_a_422(
    services: RunningServices, day: str
) -> None:
    answer = await services.housing.get("/v1/due-out", params={"on": day}, headers=OPERATOR)
    assert pointers(answer) == ["query:on"]


ODD_BODIES: list[tuple[str, Any]] = [
    ("crossing_point", "x" * 100_000),
    ("keep_together", {"a": 1}),
    ("members", "x"),
    ("members", [person(age=10**30, birth_date=None)]),
    ("members", [person(given="x" * 1_000_000)]),
    ("members", [person(documents=[{"type": "other", "number": "-" * 40}])]),
    ("members", [nested(900)]),
    ("consents", ["housing"] * 10_000),
    ("share_with_partners", ["a" * 1000]),
    ("arrival_date", 10**30),
]


@pytest.mark.parametrize(("field", "value"), ODD_BODIES, ids=[f for f, _ in ODD_BODIES])
async def test_odd_fields_of_an_arrival_never_answer_500(
    services: RunningServices, field: str, value: Any
) -> None:
    single = await send(services, "/v1/arrivals", {**arrival(person()), field: value})
    batch = await send(services, "/v1/arrival-batches", {"items": [
        {"idempotency_key": "odd", "arrival": {**arrival(person()), field: value}}]})  # fmt: skip

    assert single.status_code in (201, 422), single.text
    assert batch.status_code == 200, batch.text


async def test_odd_queries_headers_and_paths_on_intake_never_answer_500(
    services: RunningServices,
) -> None:
    partner = {"X-API-Key": services.partner_key}
    calls = [
        services.intake.get("/v1/arrivals?limit=99999999999999999999999", headers=partner),
        services.intake.get("/v1/arrivals?limit=1e99&before=1e999", headers=partner),
        services.intake.get("/v1/duplicates?limit=-1", headers=OPERATOR),
        services.intake.get("/v1/statistics/arrivals?by=" + "x" * 10_000, headers=OPERATOR),
        services.intake.get("/v1/persons/" + "x" * 5000, headers=partner),
        services.intake.get("/v1/arrivals", headers={"X-API-Key": "k" * 60_000}),
        services.intake.post("/v1/arrivals", json=arrival(person()),
                             headers={**partner, "Idempotency-Key": "k" * 60_000}),
        services.intake.post("/v1/person-searches", json={"name": "ё" * 200, "limit": 10**30},
                             headers=OPERATOR),
        services.intake.post("/v1/arrivals", content="[" * 100_000 + "]" * 100_000,
                             headers={**partner, "Idempotency-Key": "deep",
                                      "Content-Type": "application/json"}),
    ]  # fmt: skip
    answers = [await call for call in calls]

    assert [answer.status_code for answer in answers] == [422, 422, 422, 422, 422, 401, 422,
                                                         422, 400]  # fmt: skip
    for answer in answers:
        assert answer.headers["content-type"].startswith(PROBLEM_JSON)
