"""The named queries of issues decided in groups (services/aid/app/issue_groups.py): their
keys claimed and their people read in the statement that enters their stocks' queues, a key
let go, and the stocks' states with the read-model rows their issues fold."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import reduce
from typing import Any

import asyncpg

from services.aid.projections import Loaded, rows_read
from services.aid.read_models.rows import Read
from shared.decision import Decider
from shared.eventstore import EventStore
from shared.idempotency import Claim
from shared.schemas.base import DomainEvent
from shared.schemas.registry import load_event
from shared.statement import Write, compose

#: a stream's folded state and version, by stream id
States = dict[str, tuple[Any, int]]


def let_go(claim: Claim) -> Write:
    """A key whose refusal was no decision: released, so that a retry decides again."""
    return Write(
        "DELETE FROM idempotency_keys WHERE client_id = {0} AND idempotency_key = {1}",
        (claim.client_id, claim.key),
    )


async def claim_and_load(
    conn: asyncpg.Connection,
    store: EventStore,
    claims: Sequence[Claim],
    wanted: dict[str, Decider[Any, Any]],
    queues: Iterable[str],
) -> tuple[set[int], States]:
    """Claim every key and read the ``wanted`` streams' states and versions (each cached fold,
    if any, plus its events since; read before this transaction appends anything, so every
    event read is committed and its fold may be cached) in one statement, which also enters
    ``queues``
    (streams' queues, as ``shared.decider.lock_streams`` enters them: in id order, so that two
    groups wanting some of the same stocks never wait for each other): the places of the claims
    that were new, and the streams' states as they were before the wait (the statement's
    snapshot is taken as it starts)."""
    states = _cached(store, wanted)
    versions = [version for _, version in states.values()]
    parts = [(f"claim_{i}", claim.write()) for i, claim in enumerate(claims)]
    claimed = " UNION ALL ".join(f"SELECT {i} FROM {name}" for i, (name, _) in enumerate(parts))
    queued = ("queued", Write(_QUEUES_ENTERED, (sorted(set(queues)),)))
    final = Write(_CLAIMED_SINCE_QUEUED.replace("CLAIMED", claimed), (list(states), versions))
    sql, args = compose([*parts, queued], final)
    found = await conn.fetchrow(sql, *args)
    assert found is not None  # the one row of the queues entered
    return set(found[0]), _folded(store, wanted, states, found[1])


async def load_stocks_and_rows(
    conn: asyncpg.Connection,
    store: EventStore,
    stocks: dict[str, Decider[Any, Any]],
    rows: Sequence[Read],
) -> tuple[States, Loaded]:
    """The stocks' states (as ``claim_and_load`` reads states) and the read-model ``rows``
    their issues' events will fold (services/aid/projections.py: ``rows_read``), locked, in
    one statement."""
    states = _cached(store, stocks)
    versions = [version for _, version in states.values()]
    columns, args, loaded = rows_read(rows, first=3)
    found = await conn.fetchrow(f"{_SINCE}, {columns}", list(states), versions, *args)
    assert found is not None  # a SELECT without FROM returns its one row
    return _folded(store, stocks, states, found[0]), loaded(found[1:])


def _cached(store: EventStore, wanted: dict[str, Decider[Any, Any]]) -> States:
    cached = {stream: store.states.get((id(d), stream)) for stream, d in wanted.items()}
    return {
        stream: (entry[1], entry[0]) if entry else (wanted[stream].initial_state, 0)
        for stream, entry in cached.items()
    }


def _folded(
    store: EventStore,
    wanted: dict[str, Decider[Any, Any]],
    states: States,
    rows: Sequence[tuple[str, int, str, str]],
) -> States:
    """``states`` with the events since (stream, version, type, data; by stream and version)
    folded in, each new fold cached."""
    newer: dict[str, list[tuple[int, DomainEvent]]] = {}
    for stream_id, version, event_type, data in rows:
        event = load_event(event_type, data, store.event_types)
        newer.setdefault(stream_id, []).append((version, event))
    for stream, events in newer.items():
        decider = wanted[stream]
        state = reduce(decider.evolve, (event for _, event in events), states[stream][0])
        states[stream] = (state, events[-1][0])
        store.states.put((id(decider), stream), events[-1][0], state)
    return states


#: the events of several streams since their versions, as records (stream, version, type,
#: data) by stream and version: {0} the streams, {1} the versions already folded. One text for
#: every read of states here, so that they fold the same rows.
_EVENTS_SINCE = """
SELECT ROW(e.stream_id, e.version, e.event_type, e.data::text)
FROM unnest({0}::text[], {1}::int[]) AS s(stream_id, after)
JOIN events e ON e.stream_id = s.stream_id AND e.version > s.after
ORDER BY e.stream_id, e.version"""

#: as an array: one row, whatever else the statement reads beside it
_SINCE = f"SELECT ARRAY({_EVENTS_SINCE.format('$1', '$2')})"

# the queues entered one by one in the array's order (sorted by the caller), as unnest yields
# them; one row however many queues
_QUEUES_ENTERED = """
SELECT count(*) FROM (
    SELECT pg_advisory_xact_lock(hashtextextended(q, 0)) FROM unnest({0}::text[]) AS q
) AS entered"""

# the queues are entered as the statement runs (its one row is what the arrays are read for);
# the claims (CLAIMED: the places of those that returned a row) and the events (arrays of
# records) come back as one row
_CLAIMED_SINCE_QUEUED = f"""
SELECT ARRAY(CLAIMED) AS claimed, ARRAY({_EVENTS_SINCE}) AS events
FROM queued
"""
