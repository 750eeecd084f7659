"""Connection pools for one service's Postgres database."""

from __future__ import annotations

import asyncpg


async def create_pool(database_url: str, max_size: int = 10) -> asyncpg.Pool:
    """A pool sized for a small machine; short statements, so no JIT."""
    pool = await asyncpg.create_pool(
        database_url,
        min_size=1,
        max_size=max_size,
        server_settings={"jit": "off", "application_name": "resettle"},
    )
    assert pool is not None
    return pool
