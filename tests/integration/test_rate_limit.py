"""A partner's retry storm against intake, on the real Postgres and Kafka: the storming key is
answered 429 with Retry-After, another partner's interleaved requests all go through, and the
storming partner is served again once it waited as it was told."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from uuid import uuid4

import httpx
import pytest

from services.intake.partners import Scope, create_partner
from shared.http import PROBLEM_JSON
from tests.conftest import OPERATOR_KEY, build_app, settings_for
from tests.factories import arrival, person
from tests.stack import Stack

pytestmark = pytest.mark.integration

BURST, PER_SECOND = 20, 2.0


@pytest.fixture
async def intake(
    stack: Stack, databases: dict[str, str], namespace: str
) -> AsyncIterator[tuple[httpx.AsyncClient, str, str]]:
    """Intake alone with a small limit, and the keys of two partners."""
    settings = {
        **settings_for("intake", stack, databases, namespace),
        "rate_limit_burst": BURST,
        "rate_limit_per_second": PER_SECOND,
    }
    app = build_app("intake", settings)
    await app.state.runtime.start()
    try:
        async with app.state.runtime.pool.acquire() as conn:
            scopes = {Scope.REGISTER_ARRIVALS, Scope.READ_OWN_CASES}
            storming = await create_partner(conn, "wp-storm", "Storming point", scopes)
            calm = await create_partner(conn, "wp-calm", "Calm point", scopes)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
            yield client, storming, calm
    finally:
        await app.state.runtime.stop()


async def test_a_retry_storm_is_refused_with_retry_after_while_another_partner_is_served(
    intake: tuple[httpx.AsyncClient, str, str],
) -> None:
    client, storming, calm = intake
    body = arrival(person(given="Буря"))
    retry = {"X-API-Key": storming, "Idempotency-Key": "flaky-connection-1"}

    async def storm() -> httpx.Response:
        return await client.post("/v1/arrivals", json=body, headers=retry)

    async def calm_read() -> httpx.Response:
        return await client.get("/v1/arrivals", headers={"X-API-Key": calm})

    # 200 retries of one registration, with 10 reads of the calm partner in between
    calls = [storm() if index % 21 else calm_read() for index in range(210)]
    answers = await asyncio.gather(*calls)
    storm_answers = [a for index, a in enumerate(answers) if index % 21]
    calm_answers = [a for index, a in enumerate(answers) if not index % 21]
    assert (len(storm_answers), len(calm_answers)) == (200, 10)
    refused = [a for a in storm_answers if a.status_code == 429]
    served = [a for a in storm_answers if a.status_code != 429]

    assert [a.status_code for a in calm_answers] == [200] * len(calm_answers)
    assert len(served) <= BURST + 2  # the burst, and what refilled while the storm ran
    assert {a.status_code for a in served} == {201}  # the first answer, then its replays
    assert len({a.json()["arrival_id"] for a in served}) == 1
    assert len(refused) >= 200 - BURST - 2
    for answer in refused:
        assert answer.headers["content-type"].startswith(PROBLEM_JSON)
        assert answer.json()["status"] == 429 and "Retry-After" in answer.json()["detail"]
        assert int(answer.headers["Retry-After"]) >= 1

    # health, readiness and metrics are never limited, whoever asks
    probes = [await client.get(path) for path in ("/healthz", "/readyz", "/metrics")]
    assert [probe.status_code for probe in probes] == [200, 200, 200]
    assert f"http_rate_limited_requests_total {float(len(refused))}" in probes[2].text

    await asyncio.sleep(int(refused[-1].headers["Retry-After"]))
    again = await storm()
    assert again.status_code == 201
    assert again.json()["arrival_id"] == served[0].json()["arrival_id"]  # nothing twice


async def test_the_operator_key_is_not_limited(
    intake: tuple[httpx.AsyncClient, str, str],
) -> None:
    client, _, _ = intake
    operator = {"X-API-Key": OPERATOR_KEY}

    answers = await asyncio.gather(
        *(client.get("/v1/duplicates", headers=operator) for _ in range(BURST * 3))
    )

    assert {answer.status_code for answer in answers} == {200}


async def test_invented_keys_are_refused_as_unknown_and_limited_per_key(
    intake: tuple[httpx.AsyncClient, str, str],
) -> None:
    client, _, calm = intake
    invented = {"X-API-Key": f"rk_{uuid4().hex}"}

    answers = [await client.get("/v1/arrivals", headers=invented) for _ in range(BURST + 1)]
    served = await client.get("/v1/arrivals", headers={"X-API-Key": calm})

    assert [answer.status_code for answer in answers] == [401] * BURST + [429]
    assert served.status_code == 200
