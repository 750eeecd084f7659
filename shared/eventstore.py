"""The Postgres event store: append-only, optimistic concurrency on ``(stream_id, version)``.

The events table is also the outbox: an event with a topic is published by the relay
(shared.outbox) after its transaction commits. Read models are projected *inline*, in the
append's transaction, by the projectors the service registers; a rebuild folds every event into
them at once with the service's rebuilder (shared.rebuild), or replays the projectors.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID, uuid4

import asyncpg
from opentelemetry import propagate

from shared.appending import (
    SetProjector,
    StreamAppend,
    append_statement,
    pending_events,
    run_projectors,
)
from shared.event_reads import REPLAY, SELECT_EVENTS, SELECT_WITH_OWNER, STREAMS_SINCE
from shared.schemas.base import DomainEvent
from shared.schemas.registry import EVENT_TYPES, load_event
from shared.state_cache import StateCache
from shared.statement import Write

PUBLIC_EVENT_TYPES = frozenset(EVENT_TYPES)

NOTIFY_CHANNEL = "events_appended"


class Conflict(Exception):
    """Work that lost a race with a concurrent transaction: nothing of it was committed, and doing
    it again from the start (reload, decide again) is safe."""


class ConcurrencyConflict(Conflict):
    """Another writer appended to the stream since it was read; reload and decide again."""

    def __init__(self, stream_id: str, expected_version: int) -> None:
        super().__init__(
            f"stream {stream_id!r} moved past version {expected_version} while deciding"
        )
        self.stream_id = stream_id
        self.expected_version = expected_version


@dataclass(frozen=True)
class Causation:
    """Why an event was appended: the chain of ids that lets an operator follow a journey."""

    correlation_id: str
    causation_id: str | None = None

    @classmethod
    def new(cls) -> Causation:
        return cls(correlation_id=str(uuid4()))


@dataclass(frozen=True)
class RecordedEvent:
    """An event as stored: its position, its stream version and its envelope metadata."""

    global_position: int
    stream_id: str
    version: int
    event_id: UUID
    event: DomainEvent
    topic: str | None
    metadata: dict[str, Any]
    recorded_at: datetime

    @property
    def correlation_id(self) -> str:
        return str(self.metadata.get("correlation_id", ""))


Projector = Callable[[asyncpg.Connection, RecordedEvent], Awaitable[None]]


class ReadModelFold(Protocol):
    """A service's read models built in memory from all its events, then written at once: the
    bulk form of its projectors, for rebuilds (shared.rebuild)."""

    def apply(self, recorded: RecordedEvent) -> None:
        """Fold in the next event (events come in position order, as the projectors saw them);
        its metadata holds only the correlation id (see EventStore.replay)."""

    async def write(self, conn: asyncpg.Connection) -> None:
        """Write the rows of every read model into its emptied table."""


#: a fresh fold for each rebuild
Rebuilder = Callable[[], ReadModelFold]


@dataclass
class EventStore:
    """Append and read events of one service's database.

    ``topic`` is where this service's events are published; ``projectors`` update read models in
    the same transaction as the append.
    """

    topic: str | None
    projectors: Sequence[Projector] = field(default_factory=tuple)
    #: event types this store can load: the shared contracts, plus a service's internal ones
    event_types: Mapping[str, type[DomainEvent]] = field(default_factory=lambda: EVENT_TYPES)
    #: folded states of recently used streams (shared.decider.load_state): a command on a long
    #: stream (a shelter's, a stock's) then reads and folds only the events since
    states: StateCache = field(default_factory=lambda: StateCache())
    #: the set-based form of ``projectors`` for rebuilds: folds the events in memory and writes
    #: each read model with COPY; without it a rebuild replays every event through them
    rebuilder: Rebuilder | None = None
    #: projections of some event types as set-based writes, in the append's statement
    set_projector: SetProjector | None = None

    async def append(
        self,
        conn: asyncpg.Connection,
        stream_id: str,
        expected_version: int,
        events: Sequence[DomainEvent],
        causation: Causation,
        *,
        publish: bool = True,
    ) -> list[RecordedEvent]:
        """Append ``events`` after ``expected_version`` (0 for a new stream), inside the caller's
        transaction. Raises ConcurrencyConflict if the stream moved on."""
        if not events:
            return []
        return await self.append_streams(
            conn, [(stream_id, expected_version, events)], causation, publish=publish
        )

    async def append_streams(
        self,
        conn: asyncpg.Connection,
        appends: Sequence[StreamAppend],
        causation: Causation,
        *,
        publish: bool = True,
        alongside: Sequence[Write] = (),
        project: bool = True,
        each: Sequence[dict[str, Any]] | None = None,
    ) -> list[RecordedEvent]:
        """Append to several streams at once, each ``(stream_id, expected_version, events)``,
        and run the ``alongside`` writes, in one statement inside the caller's transaction: an
        arrival and its people cost one round trip. Raises ConcurrencyConflict if a stream
        moved on. ``project=False``: the ``alongside`` writes project these events already
        (the caller folded them), so the projectors are not run for them. ``each``: every
        event's own metadata (``event_metadata``), in the order of the appends' events, when
        one append holds the decisions of several requests; else every event has
        ``causation``'s and the current trace's."""
        pending = pending_events(appends)
        if not pending and not alongside:
            return []
        metadata = event_metadata(causation)
        metadatas = list(each) if each is not None else [metadata] * len(pending)
        # only shared contracts leave the service; a service's internal events never do
        topics = [
            self.topic if publish and event.event_type in PUBLIC_EVENT_TYPES else None
            for _, _, event in pending
        ]
        event_ids = [uuid4() for _ in pending]
        setwise = self.set_projector
        handled = [setwise is not None and setwise.handles(event) for _, _, event in pending]
        mine = [event for (_, _, event), its in zip(pending, handled, strict=True) if its]
        projected = await setwise.writes(conn, mine, causation) if setwise and mine else []
        sql, args = append_statement(
            pending, event_ids, topics, metadata if each is None else metadatas, projected,
            alongside,
        )  # fmt: skip
        try:
            rows = await conn.fetch(sql, *args)
        except asyncpg.UniqueViolationError as error:
            if error.constraint_name == "events_stream_version":
                moved = appends[0]
                raise ConcurrencyConflict(moved[0], moved[1]) from error
            raise
        by_id = {row["event_id"]: row for row in rows}  # RETURNING promises no order
        recorded = [
            RecordedEvent(row["global_position"], stream_id, row["version"], event_id, event,
                          topic, its_metadata, row["recorded_at"])
            for event_id, (stream_id, _, event), topic, its_metadata in zip(
                event_ids, pending, topics, metadatas, strict=True)
            for row in (by_id[event_id],)
        ]  # fmt: skip
        todo = [one for one, its in zip(recorded, handled, strict=True) if not its and project]
        await run_projectors(conn, self.projectors, todo)
        return recorded

    async def read_stream(self, conn: asyncpg.Connection, stream_id: str) -> list[RecordedEvent]:
        """Every event of one stream, in version order."""
        rows = await conn.fetch(
            f"{SELECT_EVENTS} WHERE stream_id = $1 ORDER BY version",
            stream_id,
        )
        return [_to_recorded(row, self.event_types) for row in rows]

    async def read_since(
        self, conn: asyncpg.Connection, stream_id: str, after_version: int
    ) -> tuple[list[RecordedEvent], int]:
        """The events of one stream after ``after_version``, and how many of them, from the
        start, were committed by other transactions (the rest are this transaction's own
        appends, which may still roll back)."""
        rows = await conn.fetch(
            f"""{SELECT_WITH_OWNER} WHERE stream_id = $1 AND version > $2 ORDER BY version""",
            stream_id,
            after_version,
        )
        committed = next(
            (index for index, row in enumerate(rows) if row["appended_here"]), len(rows)
        )
        return [_to_recorded(row, self.event_types) for row in rows], committed

    async def read_streams_since(
        self, conn: asyncpg.Connection, after: Mapping[str, int]
    ) -> dict[str, tuple[list[RecordedEvent], int]]:
        """``read_since`` of several streams (stream id: version) in one statement."""
        rows = await conn.fetch(STREAMS_SINCE, list(after), list(after.values()))
        found: dict[str, list[asyncpg.Record]] = {stream_id: [] for stream_id in after}
        for row in rows:
            found[row["stream_id"]].append(row)
        return {
            stream_id: (
                [_to_recorded(row, self.event_types) for row in its],
                next((index for index, row in enumerate(its) if row["appended_here"]), len(its)),
            )
            for stream_id, its in found.items()
        }

    async def read_all(
        self, conn: asyncpg.Connection, after_position: int = 0, limit: int = 1000
    ) -> list[RecordedEvent]:
        """Committed events after a global position, in position order (for rebuilds)."""
        rows = await conn.fetch(
            f"{SELECT_EVENTS} WHERE global_position > $1 ORDER BY global_position LIMIT $2",
            after_position,
            limit,
        )
        return [_to_recorded(row, self.event_types) for row in rows]

    async def replay(
        self, conn: asyncpg.Connection, after_position: int = 0, limit: int = 5000
    ) -> list[RecordedEvent]:
        """Like read_all, for a rebuild's fold: the metadata holds only the correlation id, the
        one key read models keep (parsing each event's trace context too made reading a third
        slower)."""
        rows = await conn.fetch(REPLAY, after_position, limit)
        return [
            _to_recorded(row, self.event_types, {"correlation_id": row["correlation_id"]})
            for row in rows
        ]


def event_metadata(causation: Causation) -> dict[str, Any]:
    """What an event records of why it was appended: its causation, and the trace that caused
    it (of the current context), for the relay to continue."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return {
        "correlation_id": causation.correlation_id,
        "causation_id": causation.causation_id,
        **carrier,
    }


def _to_recorded(
    row: asyncpg.Record,
    types: Mapping[str, type[DomainEvent]],
    metadata: dict[str, Any] | None = None,
) -> RecordedEvent:
    """An event as read; ``metadata`` when the caller read only part of it (a rebuild)."""
    return RecordedEvent(
        global_position=row["global_position"],
        stream_id=row["stream_id"],
        version=row["version"],
        event_id=row["event_id"],
        event=load_event(row["event_type"], row["data"], types),
        topic=row["topic"],
        metadata=json.loads(row["metadata"]) if metadata is None else metadata,
        recorded_at=row["recorded_at"],
    )
