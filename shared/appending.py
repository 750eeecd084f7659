"""What an append sends: the events of one or more streams as one INSERT, the set-based
projections and other writes that go with them, and the NOTIFY that wakes the relay, all in
one statement (shared.eventstore.EventStore.append_streams)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable
from uuid import UUID

import asyncpg

from shared.schemas.base import DomainEvent
from shared.statement import Write, compose

if TYPE_CHECKING:
    from shared.eventstore import Causation, Projector, RecordedEvent

#: one stream's part of an append: its id, the version it was read at, the new events
StreamAppend = tuple[str, int, Sequence[DomainEvent]]
#: an event to append: its stream, its version there, the event
PendingEvent = tuple[str, int, DomainEvent]


class SetProjector(Protocol):
    """The set-based form of some of a service's projections: the writes for all the events of
    one append that it handles, sent in the append's own statement (one round trip, however
    many events and rows). Events it handles are not passed to the per-event projectors."""

    def handles(self, event: DomainEvent) -> bool:
        """Whether this projects ``event`` (by its type alone)."""

    async def writes(
        self, conn: asyncpg.Connection, events: Sequence[DomainEvent], causation: Causation
    ) -> list[Write]:
        """The writes that project ``events``, in the order they were decided."""


@runtime_checkable
class AppendProjector(Protocol):
    """A projector (shared.eventstore.Projector) that also takes all the events of one append
    at once, in their order, so that the rows they touch are read and written once, not once
    per event."""

    async def __call__(self, conn: asyncpg.Connection, recorded: RecordedEvent) -> None: ...

    async def project_append(
        self, conn: asyncpg.Connection, recorded: Sequence[RecordedEvent]
    ) -> None: ...


async def run_projectors(
    conn: asyncpg.Connection, projectors: Sequence[Projector], recorded: Sequence[RecordedEvent]
) -> None:
    """The appended events through each projector: one that projects a whole append gets them
    at once, any other one after the other."""
    for projector in projectors if recorded else ():
        if isinstance(projector, AppendProjector):
            await projector.project_append(conn, recorded)
        else:
            for one in recorded:
                await projector(conn, one)


def pending_events(appends: Sequence[StreamAppend]) -> list[PendingEvent]:
    return [
        (stream_id, expected + ordinal, event)
        for stream_id, expected, events in appends
        for ordinal, event in enumerate(events, start=1)
    ]


_APPEND = """
INSERT INTO events (stream_id, version, event_id, event_type, schema_version, topic, data,
                    metadata)
SELECT e.stream_id, e.version, e.event_id, e.event_type, e.schema_version, e.topic, e.data,
       {0}::jsonb
FROM unnest({1}::text[], {2}::int[], {3}::uuid[], {4}::text[], {5}::int[], {6}::jsonb[],
            {7}::text[]) WITH ORDINALITY
     AS e(stream_id, version, event_id, event_type, schema_version, data, topic, ord)
-- positions in the order decided: an arrival before its people, each stream in version order
ORDER BY e.ord
RETURNING event_id, global_position, version, recorded_at, topic
"""

#: the same, each event with its own metadata (the decisions of several requests at once)
_APPEND_EACH = """
INSERT INTO events (stream_id, version, event_id, event_type, schema_version, topic, data,
                    metadata)
SELECT e.stream_id, e.version, e.event_id, e.event_type, e.schema_version, e.topic, e.data,
       e.metadata
FROM unnest({1}::text[], {2}::int[], {3}::uuid[], {4}::text[], {5}::int[], {6}::jsonb[],
            {7}::text[], {0}::jsonb[]) WITH ORDINALITY
     AS e(stream_id, version, event_id, event_type, schema_version, data, topic, metadata, ord)
ORDER BY e.ord
RETURNING event_id, global_position, version, recorded_at, topic
"""

# the NOTIFY that wakes the relay rides in the same statement; Postgres folds repeated
# notifications of one transaction
_APPENDED = """
SELECT event_id, global_position, version, recorded_at,
       CASE WHEN topic IS NOT NULL THEN pg_notify({0}, '')::text END AS woke
FROM appended
"""


def append_statement(
    pending: Sequence[PendingEvent],
    event_ids: Sequence[UUID],
    topics: Sequence[str | None],
    metadata: dict[str, Any] | Sequence[dict[str, Any]],
    projected: Sequence[Write],
    alongside: Sequence[Write],
) -> tuple[str, list[Any]]:
    """The one statement of an append: its SQL and arguments. ``metadata``: of every event,
    or of each (a sequence, in the order of ``pending``)."""
    from shared.eventstore import NOTIFY_CHANNEL

    each = not isinstance(metadata, dict)
    appended = Write(
        _APPEND_EACH if each else _APPEND,
        (
            [json.dumps(one) for one in metadata] if each else json.dumps(metadata),
            [stream for stream, _, _ in pending],
            [version for _, version, _ in pending], list(event_ids),
            [event.event_type for _, _, event in pending],
            [event.version_of_schema for _, _, event in pending],
            [event.model_dump_json() for _, _, event in pending], list(topics),
        ),
    )  # fmt: skip
    return compose(
        [("appended", appended)]
        + [(f"projected_{index}", write) for index, write in enumerate(projected)]
        + [(f"alongside_{index}", write) for index, write in enumerate(alongside)],
        Write(_APPENDED, (NOTIFY_CHANNEL,)),
    )
