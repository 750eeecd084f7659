"""Connection pools for one service's Postgres database."""

from __future__ import annotations

import asyncpg


class PooledConnection(asyncpg.Connection):  # type: ignore[misc]
    """A connection whose return to the pool costs no round trip.

    asyncpg resets every released connection with ``RESET ALL; UNLISTEN *; CLOSE ALL; ...``,
    one extra round trip per request. We keep no session state: advisory locks are taken per
    transaction (the outbox relay's session lock goes with its connection, which it closes
    rather than gives back: shared/outbox_lead.py), settings are ``SET LOCAL`` or per pool, the
    relay removes its listener itself, and asyncpg still rolls back an open transaction on
    release.
    """

    def get_reset_query(self) -> str:
        return ""


async def create_pool(database_url: str, max_size: int = 10) -> asyncpg.Pool:
    """A pool sized for a small machine; short statements, so no JIT."""
    pool = await asyncpg.create_pool(
        database_url,
        min_size=1,
        max_size=max_size,
        connection_class=PooledConnection,
        server_settings={"jit": "off", "application_name": "resettle"},
    )
    assert pool is not None
    return pool
