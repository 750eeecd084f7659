"""The intake + housing pair that e2e and latency share (made once a run), with a shelter
open, and the published/consumed counts both cases wait on."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from uuid import uuid4

import asyncpg
import httpx

from benchmarks.children import Child
from benchmarks.run import Run

OPERATOR_KEY = "operator-dev-key"


async def open_shelter(housing: Child, places: int) -> None:
    units = [{"name": f"Dormitory {index}", "places": 200} for index in range(places // 200)]
    async with httpx.AsyncClient(base_url=housing.process.url, timeout=30) as client:
        answer = await client.post(
            "/v1/shelters",
            headers={"X-API-Key": OPERATOR_KEY, "Idempotency-Key": f"bench-{uuid4()}"},
            json={
                "name": "Benchmark camp",
                "kind": "camp_dormitory",
                "district": "Centre",
                "units": units,
            },
        )
        if answer.status_code != 201:
            raise RuntimeError(f"opening a shelter: {answer.status_code} {answer.text[:500]}")


@dataclass
class Pipeline:
    intake: Child
    housing: Child
    intake_monitor: asyncpg.Connection
    housing_monitor: asyncpg.Connection


async def pipeline(run: Run) -> Pipeline:
    if "pipeline" in run.shared:
        found: Pipeline = run.shared["pipeline"]
        return found
    intake = await run.service("intake", "e2e")
    assert intake.namespace is not None
    name, url = await run.database("housing")
    housing = await run._start_service("housing", "housing", name, url, intake.namespace, None)
    await open_shelter(housing, run.args.shelter_places)
    assert intake.url is not None and housing.url is not None
    made = Pipeline(intake, housing, await run.monitor(intake.url), await run.monitor(housing.url))
    run.shared["pipeline"] = made
    return made


async def published_and_consumed(p: Pipeline) -> tuple[int, int]:
    published = await p.intake_monitor.fetchval(
        "SELECT count(*) FROM events WHERE topic IS NOT NULL"
    )
    consumed = await p.housing_monitor.fetchval("SELECT count(*) FROM inbox")
    return int(published), int(consumed)


async def wait_consumed(p: Pipeline, patience: float = 180.0) -> float:
    """Until housing's inbox holds every event intake published (polled every 20 ms)."""
    deadline = time.perf_counter() + patience
    while True:
        published, consumed = await published_and_consumed(p)
        if consumed >= published:
            return time.perf_counter()
        if time.perf_counter() > deadline:
            raise RuntimeError(f"housing consumed {consumed} of {published} within {patience}s")
        await asyncio.sleep(0.02)
