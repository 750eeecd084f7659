"""A partner's retry storm against intake, on the real Postgres and Kafka: the storming key is
answered 429 with Retry-After, another partner's interleaved requests all go through, and the
storming partner is served again once it waited as it was told. A flood of invented keys is
refused per address; a batch costs a token per person it carries."""

from __future__ import annotations

import asyncio
import json
import math
import statistics
import sys
import time
from collections.abc import AsyncIterator
from uuid import uuid4

import httpx
import pytest

from services.intake.partners import Scope, create_partner
from shared.http import PROBLEM_JSON
from tests.conftest import OPERATOR_KEY, build_app, settings_for
from tests.factories import arrival, person
from tests.integration.served import served_over_tcp
from tests.stack import Stack

pytestmark = pytest.mark.integration

BURST, PER_SECOND = 20, 2.0
#: one failed authentication back every ten seconds: slow enough that a loaded CI machine, which
#: once took over a second for five refused keys, cannot refill a token inside a test's burst
FAILED_BURST, FAILED_PER_SECOND = 5, 0.1


@pytest.fixture
async def intake(
    stack: Stack, databases: dict[str, str], namespace: str
) -> AsyncIterator[tuple[httpx.AsyncClient, str, str]]:
    """Intake alone with a small limit, and the keys of two partners."""
    settings = {
        **settings_for("intake", stack, databases, namespace),
        "rate_limit_burst": BURST,
        "rate_limit_per_second": PER_SECOND,
        "rate_limit_failed_auth_burst": FAILED_BURST,
        "rate_limit_failed_auth_per_second": FAILED_PER_SECOND,
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
            client.app = app  # type: ignore[attr-defined]  # for a second client elsewhere
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
    started = time.monotonic()
    answers = await asyncio.gather(*calls)
    # tokens come back at PER_SECOND while the storm runs: a loaded CI machine once took more
    # than a second for it, and a 23rd answer was served by a token refilled meanwhile
    refilled = math.ceil((time.monotonic() - started) * PER_SECOND)
    storm_answers = [a for index, a in enumerate(answers) if index % 21]
    calm_answers = [a for index, a in enumerate(answers) if not index % 21]
    assert (len(storm_answers), len(calm_answers)) == (200, 10)
    refused = [a for a in storm_answers if a.status_code == 429]
    served = [a for a in storm_answers if a.status_code != 429]

    assert [a.status_code for a in calm_answers] == [200] * len(calm_answers)
    assert len(served) <= BURST + refilled  # the burst, and what refilled while the storm ran
    assert {a.status_code for a in served} == {201}  # the first answer, then its replays
    assert len({a.json()["arrival_id"] for a in served}) == 1
    assert len(refused) >= 200 - BURST - refilled
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


async def test_invented_keys_cost_their_address_not_a_fresh_bucket_each(
    intake: tuple[httpx.AsyncClient, str, str],
) -> None:
    client, _, calm = intake
    assert (await client.get("/v1/arrivals", headers={"X-API-Key": calm})).status_code == 200

    answers = [
        await client.get("/v1/arrivals", headers={"X-API-Key": f"rk_{uuid4().hex}"})
        for _ in range(FAILED_BURST + 3)
    ]
    served = await client.get("/v1/arrivals", headers={"X-API-Key": calm})

    assert [answer.status_code for answer in answers] == [401] * FAILED_BURST + [429] * 3
    assert answers[-1].headers["content-type"].startswith(PROBLEM_JSON)
    assert int(answers[-1].headers["Retry-After"]) >= 1
    assert served.status_code == 200


#: the flooder, in a process of its own so that its CPU is not the server's: random keys, 50
#: in flight at once, from 127.0.0.66, for a bounded time and number of requests
FLOOD = """
import asyncio, collections, json, sys, time, uuid
import httpx

async def main(url, seconds, most):
    counts = collections.Counter()
    transport = httpx.AsyncHTTPTransport(local_address="127.0.0.66")
    async with httpx.AsyncClient(transport=transport, base_url=url, timeout=30) as client:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and sum(counts.values()) < most:
            answers = await asyncio.gather(*(
                client.get("/v1/arrivals", headers={"X-API-Key": f"rk_{uuid.uuid4().hex}"})
                for _ in range(50)))
            counts.update(answer.status_code for answer in answers)
    print(json.dumps(counts))

asyncio.run(main(sys.argv[1], float(sys.argv[2]), int(sys.argv[3])))
"""


async def test_a_flood_of_random_keys_is_refused_while_a_partner_is_answered(
    intake: tuple[httpx.AsyncClient, str, str],
) -> None:
    client, _, calm = intake
    latencies: list[float] = []

    async def partner(legit: httpx.AsyncClient) -> list[int]:
        statuses = []
        for _ in range(30):  # 4 a second: within its own limit, so the flood is what it meets
            started = time.perf_counter()
            answer = await legit.get("/v1/arrivals", headers={"X-API-Key": calm})
            latencies.append(time.perf_counter() - started)
            statuses.append(answer.status_code)
            await asyncio.sleep(0.25)
        return statuses

    def figures() -> str:
        p99 = statistics.quantiles(latencies, n=100)[98]
        return f"p50 {statistics.median(latencies) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms"

    async with (
        served_over_tcp(client.app) as url,  # type: ignore[attr-defined]
        httpx.AsyncClient(base_url=url, timeout=30) as legit,
    ):
        await partner(legit)  # the same calls without a flood, to compare
        quiet = figures()
        latencies.clear()
        await asyncio.sleep(BURST / PER_SECOND)  # the partner's bucket full again
        flooder = await asyncio.create_subprocess_exec(
            sys.executable, "-c", FLOOD, url, "9", "20000", stdout=asyncio.subprocess.PIPE
        )
        await asyncio.sleep(1.0)  # the flood under way
        partner_statuses = await partner(legit)
        output, _ = await flooder.communicate()

    counts = {int(status): count for status, count in json.loads(output).items()}
    print(
        f"\nflood of {sum(counts.values())} random keys in 9 s: {counts}; "
        f"the partner's {len(latencies)} GETs: {figures()} (without the flood: {quiet})"
    )
    assert partner_statuses == [200] * 30
    assert set(counts) == {401, 429}
    # the burst, the 50 in flight at once, and what refilled meanwhile (one in 10 s, with margin)
    assert counts[401] <= FAILED_BURST + 50 + 10
    assert counts[429] > 5 * counts[401]  # the rest of the flood, refused without a lookup


async def test_a_batch_costs_a_token_per_person_it_carries(
    intake: tuple[httpx.AsyncClient, str, str],
) -> None:
    client, _, calm = intake
    headers = {"X-API-Key": calm}
    items = [
        {"idempotency_key": f"tablet-{n}",
         "arrival": arrival(*(person(given=f"Член{n}x{m}") for m in range(10)))}
        for n in range(3)
    ]  # fmt: skip

    batch = await client.post("/v1/arrival-batches", json={"items": items}, headers=headers)
    after = await client.get("/v1/arrivals", headers=headers)

    assert batch.status_code == 200, batch.text  # 30 people > the burst of 20: a full bucket
    assert batch.json()["counts"]["created"] == 3
    assert after.status_code == 429  # then the key is in debt: 10 tokens under zero
    assert int(after.headers["Retry-After"]) >= 5
    refused = await client.post("/v1/arrival-batches", json={"items": items}, headers=headers)
    assert refused.status_code == 429
