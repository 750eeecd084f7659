"""The one load-decide-append loop every service uses, and the retry on a lost race.

The deciders themselves are pure (``shared/decision.py``); the loop below gives them I/O: it
loads the stream, folds it, decides, and appends with optimistic concurrency.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from functools import reduce
from typing import Any, TypeVar

import asyncpg

from shared.decision import Command, Decider, State
from shared.eventstore import Causation, Conflict, EventStore, RecordedEvent

Result = TypeVar("Result")


async def execute(
    conn: asyncpg.Connection,
    store: EventStore,
    decider: Decider[Command, State],
    stream_id: str,
    command: Command,
    causation: Causation,
    *,
    new_stream: bool = False,
    loaded: tuple[State, int] | None = None,
    then: Sequence[Command] = (),
) -> list[RecordedEvent]:
    """Load one stream, decide on ``command``, append the outcome; inside the caller's
    transaction. Raises DomainError or ConcurrencyConflict (a Conflict).

    ``new_stream`` says the caller has just made the stream id (a fresh uuid), so there is no
    history to load: the read is skipped, and the append's version check still refuses if the
    stream existed after all. ``loaded`` is the stream's state and version the caller read in
    this transaction (``load_state``): not read again, and checked by the append alike.

    ``then`` are commands decided after ``command``, each on the state the ones before it left,
    in the same read and append (a party of five leaving the waitlist was ten round trips)."""
    if loaded is not None:
        state, version = loaded
    elif new_stream:
        state, version = decider.initial_state, 0
    else:
        state, version = await load_state(conn, store, decider, stream_id)
    decided = decider.decide(command, state)
    new_events = list(decided)
    for later in then:
        state = reduce(decider.evolve, decided, state)
        decided = decider.decide(later, state)
        new_events += decided
    return await store.append(conn, stream_id, version, new_events, causation)


async def load_state(
    conn: asyncpg.Connection,
    store: EventStore,
    decider: Decider[Command, State],
    stream_id: str,
) -> tuple[State, int]:
    """The state of one stream and its version: the cached fold (if any) plus the events since.

    A shelter's stream grows with every hold, check-in and release; folding it whole for each
    command made every command slower than the last. Events this transaction appended itself
    are folded but not cached, since the transaction may still roll back."""
    version, state = store.states.get((id(decider), stream_id)) or (0, decider.initial_state)
    newer, committed = await store.read_since(conn, stream_id, version)
    return _fold(store, decider, stream_id, (state, version), newer, committed)


async def decide_on_streams(
    conn: asyncpg.Connection,
    store: EventStore,
    decider: Decider[Command, State],
    decisions: Sequence[tuple[str, Command, dict[str, Any]]],
) -> list[RecordedEvent]:
    """Commands on several streams of one decider, each ``(stream id, command, metadata)``
    decided on the state the ones before it left (a stream may take several), its events
    carrying its own metadata (``event_metadata``, taken where the command came from): the
    streams read in one statement and appended in one, whatever their number. Raises
    DomainError as ``decider.decide`` does, and ConcurrencyConflict if a stream moved on."""
    if not decisions:
        return []
    states = await load_streams(conn, store, {stream_id: decider for stream_id, _, _ in decisions})
    started: dict[str, int] = {}
    appended: dict[str, list[Any]] = {}
    metadata: dict[str, list[dict[str, Any]]] = {}
    for stream_id, command, its_metadata in decisions:
        state, version = states[stream_id]
        events = list(decider.decide(command, state))
        started.setdefault(stream_id, version)
        appended.setdefault(stream_id, []).extend(events)
        metadata.setdefault(stream_id, []).extend(its_metadata for _ in events)
        states[stream_id] = (reduce(decider.evolve, events, state), version + len(events))
    appends = [(s, started[s], events) for s, events in appended.items() if events]
    each = [one for s, _, _ in appends for one in metadata[s]]
    return await store.append_streams(conn, appends, Causation.new(), each=each)


async def load_streams(
    conn: asyncpg.Connection, store: EventStore, wanted: Mapping[str, Decider[Any, Any]]
) -> dict[str, tuple[Any, int]]:
    """``load_state`` of several streams (stream id: its decider), read in one statement."""
    cached = {stream_id: store.states.get((id(d), stream_id)) for stream_id, d in wanted.items()}
    found = await store.read_streams_since(
        conn, {stream_id: entry[0] if entry else 0 for stream_id, entry in cached.items()}
    )
    states = {}
    for stream_id, decider in wanted.items():
        version, state = cached[stream_id] or (0, decider.initial_state)
        states[stream_id] = _fold(store, decider, stream_id, (state, version), *found[stream_id])
    return states


def _fold(
    store: EventStore,
    decider: Decider[Any, Any],
    stream_id: str,
    loaded: tuple[Any, int],
    newer: Sequence[RecordedEvent],
    committed: int,
) -> tuple[Any, int]:
    """A stream's state and version with ``newer`` folded in, the committed ones cached."""
    state, version = loaded
    if newer:
        state = reduce(decider.evolve, (recorded.event for recorded in newer[:committed]), state)
        if committed:
            store.states.put((id(decider), stream_id), newer[committed - 1].version, state)
        state = reduce(decider.evolve, (recorded.event for recorded in newer[committed:]), state)
        version = newer[-1].version
    return state, version


#: what a transaction that lost a race raises: our own conflicts, and Postgres ending one of two
#: transactions that waited for each other's locks
RACES = (Conflict, asyncpg.DeadlockDetectedError, asyncpg.SerializationError)


async def in_transaction(
    pool: asyncpg.Pool,
    work: Callable[[asyncpg.Connection], Awaitable[Result]],
    *,
    attempts: int = 10,
) -> Result:
    """Run ``work`` in one transaction, again from the start when a concurrent writer won.

    A conflict means another transaction committed first; reloading and deciding again is always
    safe because nothing of this attempt was committed. The pause before each new attempt grows
    (full jitter, capped at half a second), so that a crowd of writers on one busy stream, say
    eight check-ins at one shelter, spreads out instead of colliding again and again.
    """
    for attempt in range(1, attempts + 1):
        try:
            async with pool.acquire() as conn, conn.transaction():
                return await work(conn)
        except RACES as error:
            if attempt == attempts:
                raise error if isinstance(error, Conflict) else Conflict(str(error)) from error
            await asyncio.sleep(random.uniform(0, min(0.5, 0.005 * 2**attempt)))
    raise AssertionError("unreachable")


async def lock_streams(conn: asyncpg.Connection, *stream_ids: str) -> None:
    """Serialise writers that append to several of the same streams, always in one order, so
    two of them never wait on each other's appends (a deadlock, not a retried conflict). The
    locks are held until the transaction ends."""
    for stream_id in sorted(set(stream_ids)):
        await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", stream_id)
