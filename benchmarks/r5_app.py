"""Baseline R5: what a validated and durable arrival costs on the services' own stack, and no
more: FastAPI + uvicorn started as ``shared.runtime.serve`` starts a service (the same event
loop and HTTP parser), ``POST /v1/arrivals`` validated by intake's own ``ArrivalRequest`` model
(a bad body is a 422, as at intake), then one INSERT of the body into a table shaped and
indexed like intake's ``events`` table, committed (``synchronous_commit`` on, the server's
default), through a pool made by ``shared.database.create_pool``; answers 201 with an id.

    python -m benchmarks.r5_app PORT DATABASE_URL
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from uuid import uuid4

import asyncpg
import uvicorn
from fastapi import FastAPI

from benchmarks.workload import BASELINE_DDL
from services.intake.requests import ArrivalRequest
from shared.database import create_pool
from shared.runtime import server_choice
from shared.settings import ServiceSettings

TABLE = "r5_events"
INSERT = f"""
INSERT INTO {TABLE} (stream_id, version, event_id, event_type, schema_version, topic, data,
                     metadata)
VALUES ($1, 1, $2, 'ArrivalRegistered', 2, 'intake.events.v2', $3, '{{}}')
"""


def r5_app(database_url: str) -> FastAPI:
    pool: asyncpg.Pool | None = None

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        nonlocal pool
        # the services' pool size and connection class
        pool = await create_pool(database_url, ServiceSettings.model_fields["db_pool_max"].default)
        async with pool.acquire() as conn:
            await conn.execute(BASELINE_DDL.format(table=TABLE))
        yield
        await pool.close()

    app = FastAPI(title="R5", lifespan=lifespan)

    @app.post("/v1/arrivals", status_code=201)
    async def accept(body: ArrivalRequest) -> dict[str, str]:
        assert pool is not None
        arrival_id = uuid4()
        await pool.execute(INSERT, str(arrival_id), uuid4(), body.model_dump_json())
        return {"arrival_id": str(arrival_id)}

    @app.get("/readyz")
    async def readyz() -> dict[str, str]:
        return {"status": "ready"}

    return app


if __name__ == "__main__":
    loop, http = server_choice()
    uvicorn.run(r5_app(sys.argv[2]), host="127.0.0.1", port=int(sys.argv[1]), log_config=None,
                loop=loop, http=http)  # fmt: skip
