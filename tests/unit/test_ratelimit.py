"""The token bucket and the rate-limit middleware, on a clock the test moves and a small app."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI, Header, Request
from prometheus_client import CollectorRegistry

from shared.http import PROBLEM_JSON, Problem, install_problem_details
from shared.ratelimit import RateLimit, charge, retry_after
from shared.settings import ServiceSettings
from shared.tokenbucket import RateLimiter, TokenBucket, address_of


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


VALID_KEYS = {"rk_partner", "rk_other", "rk_revoked"}


def limited_app(registry: CollectorRegistry, **limits: float) -> FastAPI:
    app = FastAPI()
    install_problem_details(app)
    chosen = {
        "rate_limit_per_second": 0.5,
        "rate_limit_burst": 2,
        "rate_limit_failed_auth_per_second": 0.1,
        "rate_limit_failed_auth_burst": 3,
        **limits,
    }
    settings = Settings.model_validate({"operator_api_key": "operator-key", **chosen})
    app.add_middleware(RateLimit, settings=settings, registry=registry)

    @app.get("/v1/own")
    async def own(x_api_key: str | None = Header(default=None)) -> dict[str, str]:
        if x_api_key not in VALID_KEYS:
            raise Problem(401, "Unknown API key", "unknown")
        return {"cases": "yours"}

    @app.post("/v1/groups")
    async def groups(request: Request, people: int) -> dict[str, int]:
        charge(request, people - 1)
        return {"people": people}

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


async def test_random_keys_cost_their_address_and_are_refused_after_the_failure_burst() -> None:
    transport = httpx.ASGITransport(app=limited_app(CollectorRegistry()), client=("10.0.0.9", 1))
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
        invented = [
            (await client.get("/v1/own", headers={"X-API-Key": f"rk_random_{n}"})).status_code
            for n in range(6)
        ]
        refused = await client.get("/v1/own", headers={"X-API-Key": "rk_random_last"})

    assert invented == [401, 401, 401, 429, 429, 429]  # a fresh key buys no fresh bucket
    assert refused.headers["content-type"].startswith(PROBLEM_JSON)
    assert int(refused.headers["Retry-After"]) == 10  # one failure per 10 s
    assert "failed authentications" in refused.json()["detail"]


async def test_a_key_that_authenticated_before_is_served_while_its_address_floods() -> None:
    app = limited_app(CollectorRegistry(), rate_limit_burst=100)
    transport = httpx.ASGITransport(app=app, client=("10.0.0.9", 1))
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
        before = await client.get("/v1/own", headers={"X-API-Key": "rk_partner"})
        flood = [
            (await client.get("/v1/own", headers={"X-API-Key": f"rk_random_{n}"})).status_code
            for n in range(20)
        ]
        during = await client.get("/v1/own", headers={"X-API-Key": "rk_partner"})
        newcomer = await client.get("/v1/own", headers={"X-API-Key": "rk_other"})

    assert before.status_code == during.status_code == 200
    assert flood.count(429) == 17
    # a valid key never seen before waits for its address like an invented one
    assert newcomer.status_code == 429


async def test_a_valid_key_costs_its_address_nothing_and_a_revoked_one_is_forgotten() -> None:
    VALID_KEYS.discard("rk_revoked")
    transport = httpx.ASGITransport(app=limited_app(CollectorRegistry(), rate_limit_burst=50))
    try:
        VALID_KEYS.add("rk_revoked")
        async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
            valid = [(await client.get("/v1/own", headers={"X-API-Key": "rk_revoked"})).status_code
                     for _ in range(10)]  # fmt: skip
            VALID_KEYS.discard("rk_revoked")
            after = [(await client.get("/v1/own", headers={"X-API-Key": "rk_revoked"})).status_code
                     for _ in range(5)]  # fmt: skip
    finally:
        VALID_KEYS.add("rk_revoked")

    assert valid == [200] * 10  # far past the failure burst of 3
    assert after == [401, 401, 401, 401, 429]  # the first 401 forgets it; then its address pays


async def test_x_forwarded_for_buys_no_fresh_address() -> None:
    transport = httpx.ASGITransport(app=limited_app(CollectorRegistry()), client=("10.0.0.9", 1))
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
        statuses = [
            (await client.get("/v1/own", headers={"X-API-Key": f"rk_random_{n}",
                                                  "X-Forwarded-For": f"192.0.2.{n}"})).status_code
            for n in range(5)
        ]  # fmt: skip

    assert statuses == [401, 401, 401, 429, 429]


@pytest.mark.parametrize(
    ("host", "bucket"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::9", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
    ],
)
def test_an_ipv6_client_is_counted_by_its_64_block(host: str, bucket: str) -> None:
    assert address_of({"type": "http", "client": (host, 5)}) == bucket


def test_a_cost_above_the_burst_needs_a_full_bucket_and_leaves_it_in_debt() -> None:
    bucket = TokenBucket(capacity=10, rate=2, tokens=10, updated=0.0)

    assert bucket.take(0.0, cost=50) == 0.0  # a big batch goes through at once
    assert bucket.tokens == -40
    assert bucket.take(0.0) == pytest.approx(20.5)  # and the key waits for the refill after
    assert TokenBucket(10, 2, 9, 0.0).take(0.0, cost=50) == pytest.approx(0.5)


async def test_a_request_carrying_many_people_costs_a_token_each() -> None:
    transport = httpx.ASGITransport(app=limited_app(CollectorRegistry(), rate_limit_burst=10))
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
        partner = {"X-API-Key": "rk_partner"}
        assert (await client.get("/v1/own", headers=partner)).status_code == 200
        first = await client.post("/v1/groups?people=8", headers=partner)
        second = await client.post("/v1/groups?people=8", headers=partner)
        operator = await client.post("/v1/groups?people=500", headers={"X-API-Key": "operator-key"})

    assert first.status_code == 200  # 1 + 8 of 10
    assert second.status_code == 429
    assert second.headers["content-type"].startswith(PROBLEM_JSON)
    assert int(second.headers["Retry-After"]) >= 1
    assert "carries 8 people" in second.json()["detail"]
    assert operator.status_code == 200


def test_the_services_run_uvicorn_without_trusting_x_forwarded_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from types import SimpleNamespace
    from typing import Any

    import uvicorn

    from shared import runtime

    started: dict[str, Any] = {}
    monkeypatch.setattr(runtime, "configure_logging", lambda: None)
    monkeypatch.setattr(runtime, "configure_tracing", lambda name: None)
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: started.update(options))
    app = SimpleNamespace(state=SimpleNamespace(runtime=SimpleNamespace(name="intake")))

    runtime.serve(lambda settings: app, Settings())  # type: ignore[arg-type,return-value]

    assert started["proxy_headers"] is False  # the address is the TCP peer's
