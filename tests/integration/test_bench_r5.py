"""Baseline R5 (benchmarks/r5_app.py) does what its row claims, on the real Postgres: intake's
validation of POST /v1/arrivals, then one row committed per accepted arrival, none for a body
intake would refuse."""

from __future__ import annotations

import random

import asyncpg
import httpx

from benchmarks.r5_app import TABLE, r5_app
from benchmarks.workload import make_arrival


async def test_r5_commits_one_row_per_valid_arrival_and_refuses_what_intake_refuses(
    databases: dict[str, str],
) -> None:
    url = databases["intake"]
    app = r5_app(url)
    body = make_arrival(random.Random(7), "R5-000001", 3)
    bad = {**body, "members": [{**body["members"][0], "sex": "unknown-value"}]}
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://r5") as http,
    ):
        accepted = await http.post("/v1/arrivals", json=body)
        refused = await http.post("/v1/arrivals", json=bad)
    assert accepted.status_code == 201, accepted.text
    assert refused.status_code == 422
    conn = await asyncpg.connect(url)
    try:  # read on another connection: the row was committed, not only written
        rows = await conn.fetch(f"SELECT stream_id, data FROM {TABLE}")
    finally:
        await conn.close()
    assert [row["stream_id"] for row in rows] == [accepted.json()["arrival_id"]]
    assert '"crossing_point"' in rows[0]["data"]
