"""The named queries of issues decided in groups (services/aid/app/issue_groups.py): their
keys claimed in one statement, a key let go, and the states of several streams in one read."""

from __future__ import annotations

from collections.abc import Sequence
from functools import reduce
from typing import Any

import asyncpg

from shared.decision import Decider
from shared.eventstore import EventStore
from shared.idempotency import Claim
from shared.schemas.base import DomainEvent
from shared.schemas.registry import load_event
from shared.statement import Write, compose

#: a stream's folded state and version, by stream id
States = dict[str, tuple[Any, int]]


async def claim_keys(conn: asyncpg.Connection, claims: Sequence[Claim]) -> set[int]:
    """Claim every key in one statement; the places (in ``claims``) of those that were new."""
    parts = [(f"claim_{i}", claim.write()) for i, claim in enumerate(claims)]
    found = " UNION ALL ".join(
        f"SELECT {i} AS request FROM {name}" for i, (name, _) in enumerate(parts)
    )
    sql, args = compose(parts, Write(found))
    return {row["request"] for row in await conn.fetch(sql, *args)}


def let_go(claim: Claim) -> Write:
    """A key whose refusal was no decision: released, so that a retry decides again."""
    return Write(
        "DELETE FROM idempotency_keys WHERE client_id = {0} AND idempotency_key = {1}",
        (claim.client_id, claim.key),
    )


async def load_states(
    conn: asyncpg.Connection,
    store: EventStore,
    wanted: dict[str, Decider[Any, Any]],
    queue: str | None = None,
) -> States:
    """Several streams' states and versions in one read: each cached fold (if any) plus its
    events since, as ``shared.decider.load_state`` reads one. Read before this transaction
    appends anything, so every event read is committed and its fold may be cached.

    ``queue``: a stream whose queue (``shared.decider.lock_streams``) the same statement
    enters, saving a round trip; what it reads is as it was before the wait."""
    cached = {stream: store.states.get((id(d), stream)) for stream, d in wanted.items()}
    states: States = {
        stream: (entry[1], entry[0]) if entry else (wanted[stream].initial_state, 0)
        for stream, entry in cached.items()
    }
    versions = [version for _, version in states.values()]
    if queue is None:
        rows = await conn.fetch(_SINCE, list(states), versions)
    else:
        rows = await conn.fetch(_SINCE_QUEUED, list(states), versions, queue)
    newer: dict[str, list[tuple[int, DomainEvent]]] = {}
    for row in rows:
        if row["stream_id"] is None:  # the queue's own row
            continue
        event = load_event(row["event_type"], row["data"], store.event_types)
        newer.setdefault(row["stream_id"], []).append((row["version"], event))
    for stream, events in newer.items():
        decider = wanted[stream]
        state = reduce(decider.evolve, (event for _, event in events), states[stream][0])
        states[stream] = (state, events[-1][0])
        store.states.put((id(decider), stream), events[-1][0], state)
    return states


_SINCE = """
SELECT e.stream_id, e.version, e.event_type, e.data::text AS data
FROM unnest($1::text[], $2::int[]) AS s(stream_id, after)
JOIN events e ON e.stream_id = s.stream_id AND e.version > s.after
ORDER BY e.stream_id, e.version
"""

# the queue is entered as the statement starts: its one row is the left side of the join, so
# it is taken however few events there are (that row comes back alone, with no stream)
_SINCE_QUEUED = """
WITH queued AS MATERIALIZED (SELECT pg_advisory_xact_lock(hashtextextended($3, 0)))
SELECT e.stream_id, e.version, e.event_type, e.data::text AS data
FROM queued LEFT JOIN (
    unnest($1::text[], $2::int[]) AS s(stream_id, after)
    JOIN events e ON e.stream_id = s.stream_id AND e.version > s.after
) ON true
ORDER BY e.stream_id, e.version
"""
