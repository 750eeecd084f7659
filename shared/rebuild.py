"""Rebuild a service's read models from its event store.

One REPEATABLE READ transaction truncates the read-model tables and replays every event through
the store's projectors: a consistent snapshot, and appends that arrive meanwhile wait on the
truncated tables and project after it, so nothing is missed or applied twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import asyncpg

from shared.eventstore import EventStore

Progress = Callable[[int, int], None]


async def rebuild_read_models(
    pool: asyncpg.Pool,
    store: EventStore,
    tables: Sequence[str],
    progress: Progress | None = None,
    batch_size: int = 2000,
) -> int:
    """Replay all events into freshly emptied ``tables``; returns how many were replayed."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
        total = int(await conn.fetchval("SELECT count(*) FROM events"))
        await conn.execute(f"TRUNCATE {', '.join(tables)}")
        position, done = 0, 0
        while events := await store.read_all(conn, position, batch_size):
            for recorded in events:
                for project in store.projectors:
                    await project(conn, recorded)
            position = events[-1].global_position
            done += len(events)
            if progress:
                progress(done, total)
        return done
