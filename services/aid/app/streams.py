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
