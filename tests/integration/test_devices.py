"""Device keys: a partner issues one per volunteer's phone; each speaks for the partner with
the device named, may register and read the partner's cases and nothing more, and is revoked
alone. Against the real Postgres and Kafka."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest

from services.intake.partners import Scope, create_partner, revoke
from tests.conftest import OPERATOR_KEY, RunningServices
from tests.factories import arrival, person

pytestmark = pytest.mark.integration


@pytest.fixture
def service_names() -> tuple[str, ...]:
    return ("intake",)


def keyed(key: str, idempotency: str | None = None) -> dict[str, str]:
    return {"X-API-Key": key, "Idempotency-Key": idempotency or str(uuid4())}


async def issued(services: RunningServices, label: str = "phone 1") -> dict[str, Any]:
    answer = await services.intake.post(
        "/v1/devices", json={"label": label}, headers=keyed(services.partner_key)
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


async def register(services: RunningServices, key: str) -> int:
    answer = await services.intake.post("/v1/arrivals", json=arrival(person()), headers=keyed(key))
    return answer.status_code


async def test_a_device_key_is_shown_once_as_characters_to_type_and_as_a_qr_code(
    services: RunningServices,
) -> None:
    headers = keyed(services.partner_key, "device-1")
    first = await services.intake.post("/v1/devices", json={"label": "p"}, headers=headers)
    again = await services.intake.post("/v1/devices", json={"label": "p"}, headers=headers)

    shown = first.json()
    assert first.status_code == 201
    assert len(shown["key"]) == 24 and shown["short_code"].replace("-", "") == shown["key"]
    assert shown["qr_svg"].startswith("<svg") and shown["setup_link"].endswith(shown["key"])
    assert again.status_code == 201 and again.json()["key"] is None
    assert again.json()["device_id"] == shown["device_id"]
    async with services.pool("intake").acquire() as conn:
        stored = await conn.fetchval("SELECT string_agg(key_hash, ',') FROM devices")
    assert shown["key"] not in stored


async def test_a_device_registers_for_its_partner_and_its_events_name_the_device(
    services: RunningServices,
) -> None:
    device = await issued(services)
    typed = device["short_code"].lower()  # as a volunteer types it

    assert await register(services, typed) == 201
    cases = await services.intake.get("/v1/arrivals", headers={"X-API-Key": device["key"]})
    mine = await services.intake.get("/v1/arrivals", headers={"X-API-Key": services.partner_key})
    assert cases.status_code == 200 and cases.json() == mine.json() and len(mine.json()) == 1
    async with services.pool("intake").acquire() as conn:
        rows = await conn.fetch(
            "SELECT data->>'actor' FROM events WHERE event_type <> 'ArrivalRegistered'"
        )
    actors = {row[0] for row in rows}
    assert actors == {f"partner:wp-test/device:{device['device_id']}"}


async def test_a_device_key_cannot_issue_keys_list_devices_or_act_as_an_operator(
    services: RunningServices,
) -> None:
    async with services.pool("intake").acquire() as conn:
        desk_key = await create_partner(
            conn, "cc-desk", "Desk", {Scope.OPERATOR, Scope.REGISTER_ARRIVALS}
        )
    desk_device = await services.intake.post(
        "/v1/devices", json={"label": "desk", "partner_id": "cc-desk"}, headers=keyed(desk_key)
    )
    device_key = desk_device.json()["key"]
    headers = keyed(device_key)

    more = await services.intake.post("/v1/devices", json={"label": "x"}, headers=headers)
    listing = await services.intake.get("/v1/devices", headers=headers)
    search = await services.intake.post("/v1/person-searches", json={"name": "x"}, headers=headers)
    revocation = await services.intake.post(
        f"/v1/devices/{desk_device.json()['device_id']}/revocation", headers=headers
    )

    assert (more.status_code, listing.status_code, revocation.status_code) == (403, 403, 403)
    assert search.status_code == 403
    assert await register(services, device_key) == 201  # what it may do, it does


async def test_revoking_one_device_leaves_the_others_working(services: RunningServices) -> None:
    lost, kept = await issued(services, "lost phone"), await issued(services, "kept phone")

    revoked = await services.intake.post(
        f"/v1/devices/{lost['device_id']}/revocation", headers=keyed(services.partner_key)
    )

    assert revoked.status_code == 200
    assert await register(services, lost["key"]) == 401
    assert await register(services, kept["key"]) == 201
    listing = await services.intake.get("/v1/devices", headers={"X-API-Key": services.partner_key})
    states = {item["label"]: item["revoked_at"] is not None for item in listing.json()}
    assert states == {"lost phone": True, "kept phone": False}
    assert all("key" not in item for item in listing.json())


async def test_another_partner_cannot_revoke_or_see_a_device_and_a_revoked_partner_ends_all(
    services: RunningServices,
) -> None:
    device = await issued(services)
    async with services.pool("intake").acquire() as conn:
        other_key = await create_partner(conn, "wp-other", "Other", {Scope.REGISTER_ARRIVALS})
    other = keyed(other_key)

    foreign = await services.intake.post(f"/v1/devices/{device['device_id']}/revocation",
                                         headers=other)  # fmt: skip
    seen = await services.intake.get("/v1/devices", headers=other)
    assert foreign.status_code == 404 and seen.json() == []
    assert await register(services, device["key"]) == 201

    async with services.pool("intake").acquire() as conn:
        await revoke(conn, "wp-test")
    assert await register(services, device["key"]) == 401


async def test_an_operator_issues_a_device_key_for_a_named_partner(
    services: RunningServices,
) -> None:
    operator = keyed(OPERATOR_KEY)
    unnamed = await services.intake.post("/v1/devices", json={"label": "x"}, headers=operator)
    named = await services.intake.post(
        "/v1/devices", json={"label": "x", "partner_id": "wp-test"}, headers=keyed(OPERATOR_KEY)
    )
    unknown = await services.intake.post(
        "/v1/devices", json={"label": "x", "partner_id": "wp-none"}, headers=keyed(OPERATOR_KEY)
    )

    assert unnamed.status_code == 422 and unknown.status_code == 404
    assert named.status_code == 201 and named.json()["partner_id"] == "wp-test"
    assert await register(services, named.json()["key"]) == 201


async def test_problems_come_in_the_language_the_request_asks_for(
    services: RunningServices,
) -> None:
    bad = arrival(person(sex="robot"))
    answers = {}
    for language in ("ru", "kk", "en"):
        headers = {**keyed(services.partner_key), "Accept-Language": f"{language},en;q=0.5"}
        answers[language] = await services.intake.post("/v1/arrivals", json=bad, headers=headers)
    missing = await services.intake.get("/v1/arrivals", headers={"Accept-Language": "kk"})

    assert {answer.status_code for answer in answers.values()} == {422}
    assert answers["ru"].json()["title"] == "Неверные данные"
    assert answers["ru"].json()["errors"][0] == {
        "pointer": "#/members/0/sex", "detail": "Нет среди допустимых значений."}  # fmt: skip
    assert answers["kk"].json()["errors"][0]["detail"] == "Рұқсат етілген мәндердің бірі емес."
    assert answers["en"].json()["title"] == "Invalid request"
    assert answers["ru"].headers["content-language"] == "ru"
    assert missing.status_code == 401 and missing.json()["title"] == "Кілт жоқ"
