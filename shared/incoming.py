"""What a consumer hands its service: an event parsed from a topic (IncomingEvent), and the
handler types (Handler, BatchHandler). Kept apart from the consumer (shared/consumer.py), which
re-exports them, so that it stays one reader's size."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable
from uuid import UUID

import asyncpg

from shared.eventstore import Causation
from shared.message_checks import check_message
from shared.schemas.base import DomainEvent


@dataclass(frozen=True)
class IncomingEvent:
    """A parsed event from a topic, with the envelope attributes its handler may need."""

    event_id: UUID
    topic: str
    event: DomainEvent
    correlation_id: str

    def causation(self) -> Causation:
        """Events appended because of this one carry its id as their cause."""
        return Causation(correlation_id=self.correlation_id, causation_id=str(self.event_id))


Handler = Callable[[asyncpg.Connection, IncomingEvent], Awaitable[None]]


@dataclass(frozen=True)
class Taken:
    """An event of a batch handed to a BatchHandler, with its processing span to enter while
    it works on that event (what it appends then carries the event's trace)."""

    incoming: IncomingEvent
    span: Callable[[], AbstractContextManager[Any]]


@runtime_checkable
class BatchHandler(Protocol):
    """A handler that can also take the new events of a batch at once, in their order, in the
    batch's transaction: so that, say, a hundred arrivals are decided on with the reads and
    the append of a few, not a hundred times each. Called alone, it handles one event."""

    async def __call__(self, conn: asyncpg.Connection, incoming: IncomingEvent) -> None: ...

    async def handle_batch(self, conn: asyncpg.Connection, events: Sequence[Taken]) -> None: ...


def parse_incoming(topic: str, body: bytes, headers: dict[str, Any]) -> IncomingEvent:
    """Check one message (shared.message_checks); raise InvalidMessage with the reason."""
    envelope, event = check_message(topic, body, headers)
    return IncomingEvent(
        event_id=envelope.id,
        topic=topic,
        event=event,
        correlation_id=envelope.correlation_id or str(envelope.id),
    )
