"""What the aid benchmarks send: people made known to aid as intake publishes them, stock at a
site, and POST /v1/distributions to people not served yet (benchmarks/cases/distributions.py
and distribution_cost.py)."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import asyncpg
import httpx
from aiokafka import AIOKafkaProducer

from benchmarks.children import Child
from benchmarks.loadgen import request_bytes
from shared.schemas.intake import AgeBand, ArrivalRegistered, ArrivingMember, Relation, Sex
from shared.topics import INTAKE_EVENTS, physical

OPERATOR_KEY = "operator-dev-key"
SITE, ITEM, UNIT = "bench-camp", "hot_meal", "portion"
GROUP = 50  # the largest arrival intake's contract takes


async def make_known(
    child: Child, bootstrap: str, count: int, monitor: asyncpg.Connection
) -> list[UUID]:
    """``count`` people aid learns of from intake's topic, as intake's relay would publish
    them; returns once aid's consumer has registered them all."""
    people = [uuid4() for _ in range(count)]
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True)
    await producer.start()
    try:
        for first in range(0, count, GROUP):
            members = tuple(
                ArrivingMember(person_id=person, age_band=AgeBand.ADULT, sex=Sex.MALE,
                               relation=Relation.FRIEND)
                for person in people[first : first + GROUP]
            )  # fmt: skip
            event = ArrivalRegistered(
                actor="partner:bench", occurred_at=datetime.now(UTC), arrival_id=uuid4(),
                partner_id="bench", members=members, keep_together=False,
                arrival_date=date(2022, 9, 24), crossing_point="syrym",
            )  # fmt: skip
            headers = [
                ("ce_specversion", b"1.0"), ("ce_id", str(uuid4()).encode()),
                ("ce_type", b"ArrivalRegistered.v2"), ("ce_source", b"/services/intake"),
                ("ce_subject", event.stream_id.encode()),
                ("correlation_id", str(uuid4()).encode()), ("content-type", b"application/json"),
            ]  # fmt: skip
            await producer.send_and_wait(
                physical(INTAKE_EVENTS, child.namespace or ""),
                event.model_dump_json().encode(),
                key=event.stream_id.encode(),
                headers=headers,
            )
    finally:
        await producer.stop()
    await _wait_for(monitor, "SELECT count(*) FROM beneficiaries", count, "aid to know everyone")
    return people


async def _wait_for(monitor: asyncpg.Connection, sql: str, count: int, what: str) -> None:
    deadline = time.perf_counter() + 180
    while int(await monitor.fetchval(sql)) < count:
        if time.perf_counter() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


async def stock_up(
    child: Child, units: int, site: str = SITE, item: str = ITEM, unit: str = UNIT
) -> None:
    """Enough of the item (hot meals) at the site for every round (a donation takes at most
    100,000)."""
    expires = (date.today() + timedelta(days=20)).isoformat()
    async with httpx.AsyncClient(base_url=child.process.url, timeout=30) as client:
        while units > 0:
            quantity = min(units, 100_000)
            answer = await client.post(
                "/v1/donations",
                headers={"X-API-Key": OPERATOR_KEY, "Idempotency-Key": f"bench-{uuid4()}"},
                json={"site_id": site, "item": item, "quantity": quantity, "unit": unit,
                      "donor_kind": "ngo", "expires_on": expires},
            )  # fmt: skip
            if answer.status_code != 201:
                raise RuntimeError(f"a donation: {answer.status_code} {answer.text[:500]}")
            units -= quantity


class Counters:
    """Distributions to people not served yet, one person per request, from ``people``, of
    the item at the site (a hot meal at the case's site)."""

    def __init__(
        self, child: Child, people: list[UUID], site: str = SITE, item: str = ITEM
    ) -> None:
        self.child, self.people, self.used = child, people, 0
        self.site, self.item = site, item

    def requests(self, count: int) -> list[bytes]:
        host = f"127.0.0.1:{self.child.port}"
        chosen = self.people[self.used : self.used + count]
        if len(chosen) < count:
            raise RuntimeError("the case made too few people for its rounds")
        self.used += count
        return [
            request_bytes(
                "POST", "/v1/distributions", host,
                {"X-API-Key": OPERATOR_KEY, "Idempotency-Key": f"bench-{uuid4()}",
                 "Content-Type": "application/json"},
                json.dumps({"person_id": str(person), "item": self.item, "site_id": self.site})
                .encode(),
            )
            for person in chosen
        ]  # fmt: skip
