"""Reading one aggregate's state to inform another's decision."""

from __future__ import annotations

from typing import TypeVar

import asyncpg

from shared.decider import load_state
from shared.decision import Decider
from shared.eventstore import EventStore

C = TypeVar("C")
S = TypeVar("S")


async def load(
    conn: asyncpg.Connection, store: EventStore, decider: Decider[C, S], stream_id: str
) -> S:
    """The state of a stream that is read, not appended to, by the decision at hand."""
    state, _ = await load_state(conn, store, decider, stream_id)
    return state


async def lock_streams(conn: asyncpg.Connection, *stream_ids: str) -> None:
    """Serialise writers that append to several of the same streams, always in one order, so
    two of them never wait on each other's appends (a deadlock, not a retried conflict)."""
    for stream_id in sorted(set(stream_ids)):
        await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", stream_id)
