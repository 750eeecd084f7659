"""An arrival does not look its API key up first when the key authenticated a moment ago
(services/intake/known_keys.py), yet a key revoked, rotated or narrowed in the meantime is
refused on its very next request, with nothing of that request written. Against the real
Postgres and Kafka."""

from __future__ import annotations

from uuid import uuid4

import asyncpg
import pytest

from services.intake.partners import Scope, create_partner, revoke, rotate_key
from tests.conftest import RunningServices
from tests.factories import arrival, person

pytestmark = pytest.mark.integration


@pytest.fixture
def service_names() -> tuple[str, ...]:
    return ("intake",)


async def register(services: RunningServices, key: str, idempotency: str | None = None) -> int:
    headers = {"X-API-Key": key, "Idempotency-Key": idempotency or str(uuid4())}
    answer = await services.intake.post("/v1/arrivals", json=arrival(person()), headers=headers)
    return answer.status_code


async def written(conn: asyncpg.Connection) -> tuple[int, int]:
    cases = await conn.fetchval("SELECT count(*) FROM cases")
    keys = await conn.fetchval("SELECT count(*) FROM idempotency_keys")
    return cases, keys


async def new_key(services: RunningServices) -> str:
    async with services.pool("intake").acquire() as conn:
        return await create_partner(conn, "wp-known", "Known", {Scope.REGISTER_ARRIVALS})


async def test_a_key_revoked_after_an_arrival_is_refused_on_the_next_arrival_with_nothing_written(
    services: RunningServices,
) -> None:
    key = await new_key(services)
    assert await register(services, key, "first") == 201  # the key is now kept

    async with services.pool("intake").acquire() as conn:
        await revoke(conn, "wp-known")
    fresh = await register(services, key)
    retried = await register(services, key, "first")  # nor is the earlier answer given

    assert (fresh, retried) == (401, 401)
    async with services.pool("intake").acquire() as conn:
        assert await written(conn) == (1, 1)


async def test_a_rotated_key_is_refused_on_the_next_arrival_and_the_new_one_registers(
    services: RunningServices,
) -> None:
    old = await new_key(services)
    assert await register(services, old) == 201

    async with services.pool("intake").acquire() as conn:
        new = await rotate_key(conn, "wp-known")
    assert new is not None

    assert await register(services, old) == 401
    assert await register(services, new) == 201


async def test_a_key_whose_scopes_were_narrowed_in_place_is_refused_as_forbidden_at_once(
    services: RunningServices,
) -> None:
    key = await new_key(services)
    assert await register(services, key) == 201

    async with services.pool("intake").acquire() as conn:
        await conn.execute(
            "UPDATE partners SET scopes = '{cases:read}' WHERE partner_id = 'wp-known'"
        )
        before = await written(conn)
    assert await register(services, key) == 403
    async with services.pool("intake").acquire() as conn:
        assert await written(conn) == before


async def test_a_device_revoked_after_an_arrival_is_refused_on_its_next_arrival(
    services: RunningServices,
) -> None:
    headers = {"X-API-Key": services.partner_key, "Idempotency-Key": str(uuid4())}
    device = (
        await services.intake.post("/v1/devices", json={"label": "p"}, headers=headers)
    ).json()
    assert await register(services, device["key"]) == 201

    revoked = await services.intake.post(
        f"/v1/devices/{device['device_id']}/revocation",
        headers={"X-API-Key": services.partner_key, "Idempotency-Key": str(uuid4())},
    )

    assert revoked.status_code == 200
    assert await register(services, device["key"]) == 401
    assert await register(services, services.partner_key) == 201  # the partner's own key works
