"""The token bucket and the rate-limit middleware, on a clock the test moves and a small app."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from shared.http import PROBLEM_JSON
from shared.ratelimit import RateLimit, RateLimiter, retry_after
from shared.settings import ServiceSettings


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_full_bucket_lets_a_burst_through_then_says_how_long_to_wait() -> None:
    clock = Clock()
    limiter = RateLimiter(per_second=2, burst=3, clock=clock)
    partner = limiter.client_of("rk_partner")

    assert [limiter.wait_for(partner) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.wait_for(partner) == pytest.approx(0.5)  # one token per 0.5 s


def test_the_bucket_refills_at_the_rate_and_never_beyond_the_burst() -> None:
    clock = Clock()
    limiter = RateLimiter(per_second=2, burst=3, clock=clock)
    partner = limiter.client_of("rk_partner")
    for _ in range(3):
        limiter.wait_for(partner)

    clock.now += 0.5
    assert limiter.wait_for(partner) == 0.0
    assert limiter.wait_for(partner) > 0

    clock.now += 3600  # an hour idle fills the bucket to the burst, not to 7,200
    assert [limiter.wait_for(partner) for _ in range(4)][:3] == [0.0, 0.0, 0.0]
    assert limiter.wait_for(partner) > 0


def test_one_partners_storm_does_not_empty_another_partners_bucket() -> None:
    limiter = RateLimiter(per_second=1, burst=2, clock=Clock())
    storming, calm = limiter.client_of("rk_storm"), limiter.client_of("rk_calm")
    for _ in range(50):
        limiter.wait_for(storming)

    assert limiter.wait_for(calm) == 0.0
    assert limiter.wait_for(storming) > 0


def test_the_table_keeps_at_most_max_keys_buckets_dropping_the_one_idle_longest() -> None:
    limiter = RateLimiter(per_second=1, burst=1, max_keys=3, clock=Clock())
    first = limiter.client_of("rk_first")
    limiter.wait_for(first)  # empties its bucket
    for invented in range(3):
        limiter.wait_for(limiter.client_of(f"rk_invented_{invented}"))

    assert len(limiter._buckets) == 3
    assert first not in limiter._buckets
    assert limiter.wait_for(first) == 0.0  # forgotten, so a full bucket again


def test_buckets_are_keyed_by_a_keyed_hash_never_the_key() -> None:
    limiter = RateLimiter(per_second=1, burst=1)
    other_process = RateLimiter(per_second=1, burst=1)

    client = limiter.client_of("rk_secret")

    assert b"rk_secret" not in client
    assert client == limiter.client_of("rk_secret")
    assert client != other_process.client_of("rk_secret")  # a secret of each process


@pytest.mark.parametrize(("wait", "header"), [(0.01, 1), (0.5, 1), (1.0, 1), (1.2, 2), (9.9, 10)])
def test_retry_after_is_whole_seconds_rounded_up_and_at_least_one(wait: float, header: int) -> None:
    assert retry_after(wait) == header


def test_a_limit_needs_a_positive_rate_and_burst() -> None:
    with pytest.raises(ValueError, match="per_second > 0"):
        RateLimiter(per_second=0, burst=5)
    with pytest.raises(ValueError, match="burst >= 1"):
        RateLimiter(per_second=5, burst=0)


class Settings(ServiceSettings):
    database_url: str = "postgresql://unused"
    http_port: int = 0


def limited_app(registry: CollectorRegistry) -> FastAPI:
    app = FastAPI()
    settings = Settings(
        operator_api_key="operator-key", rate_limit_per_second=0.5, rate_limit_burst=2
    )
    app.add_middleware(RateLimit, settings=settings, registry=registry)

    @app.get("/v1/cases")
    async def cases() -> dict[str, str]:
        return {"cases": "yours"}

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


async def test_over_the_limit_a_client_gets_429_problem_details_with_retry_after() -> None:
    registry = CollectorRegistry()
    transport = httpx.ASGITransport(app=limited_app(registry))
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
        partner = {"X-API-Key": "rk_partner"}
        answers = [await client.get("/v1/cases", headers=partner) for _ in range(3)]

    assert [answer.status_code for answer in answers] == [200, 200, 429]
    refused = answers[2]
    assert refused.headers["content-type"].startswith(PROBLEM_JSON)
    assert refused.headers["Retry-After"] == "2"  # one token per 2 s
    assert refused.json()["status"] == 429
    assert "Retry-After" in refused.json()["detail"]
    assert registry.get_sample_value("http_rate_limited_requests_total") == 1.0


async def test_the_operator_key_and_the_health_probe_are_never_limited() -> None:
    transport = httpx.ASGITransport(app=limited_app(CollectorRegistry()))
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
        operator = [
            await client.get("/v1/cases", headers={"X-API-Key": "operator-key"}) for _ in range(10)
        ]
        probes = [await client.get("/healthz") for _ in range(10)]

    assert {answer.status_code for answer in operator} == {200}
    assert {answer.status_code for answer in probes} == {200}


async def test_requests_without_a_key_share_the_bucket_of_their_address() -> None:
    transport = httpx.ASGITransport(app=limited_app(CollectorRegistry()))
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
        keyless = [(await client.get("/v1/cases")).status_code for _ in range(3)]
        keyed = (await client.get("/v1/cases", headers={"X-API-Key": "rk_partner"})).status_code

    assert keyless == [200, 200, 429]
    assert keyed == 200
