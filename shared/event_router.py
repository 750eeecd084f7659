"""One table per consuming service: for each event type on the topics it reads, what it does.

A service once routed its incoming events with an ``isinstance`` chain, where a type nobody
handled fell through without a word and small rules hid between the branches. A router names
every type it takes in, each with one handler or in an explicit ignore set, and a unit test per
service checks that every type its topics carry is one or the other. An event of a type in
neither (its topic grew a type this service does not know yet) is passed over, as the chains
did; what the consumer cannot parse never gets here, it is dead-lettered first.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar, TypeVarTuple
from uuid import UUID

import asyncpg

from shared.consumer import Handler, IncomingEvent, Taken
from shared.eventstore import Causation
from shared.schemas.base import DomainEvent
from shared.schemas.intake import MergeUndone, PersonErased, PersonsMerged

E = TypeVar("E", bound=DomainEvent)
Given = TypeVarTuple("Given")


@dataclass(frozen=True)
class Route:
    """What a service does with one type of event; made by ``on``, which checks the types."""

    event_type: type[DomainEvent]
    handle: Callable[[asyncpg.Connection, Any, IncomingEvent], Awaitable[None]]


def on(
    event_type: type[E], handle: Callable[[asyncpg.Connection, E, IncomingEvent], Awaitable[None]]
) -> Route:
    """Route ``event_type`` to ``handle(conn, event, incoming)``, called in the consumer's
    transaction (``incoming`` gives the causation and the metadata). The type checker holds
    ``handle`` to take that type: the route is made here, outside the router's call, so that
    nothing around it can widen the type to Any."""
    return Route(event_type, handle)


def reaction(
    use_case: Callable[[asyncpg.Connection, *Given, E, Causation, datetime], Awaitable[object]],
    *given: *Given,
) -> Callable[[asyncpg.Connection, E, IncomingEvent], Awaitable[None]]:
    """A route's handler that runs ``use_case(conn, *given, event, causation, now)``: a service's
    use case for an event of another, given what it needs (its store, ...), what caused it
    (the incoming event, which the events it appends name) and the time it is taken in."""

    async def handle(conn: asyncpg.Connection, event: E, incoming: IncomingEvent) -> None:
        await use_case(conn, *given, event, incoming.causation(), datetime.now(UTC))

    return handle


class EventRouter:
    """A consumer's handler that looks the handler up by the event's type."""

    def __init__(self, *routes: Route, ignored: Iterable[type[DomainEvent]] = ()) -> None:
        self._handlers: dict[type[DomainEvent], Route] = {}
        for route in routes:
            if route.event_type in self._handlers:
                raise ValueError(f"two handlers for {route.event_type.__name__}")
            self._handlers[route.event_type] = route
        #: asked of every event a consumer takes in (UnlessErased.takes): made once
        self.handled = frozenset(self._handlers)
        self.ignored = frozenset(ignored)
        both = sorted(kind.__name__ for kind in self.ignored & self._handlers.keys())
        if both:
            raise ValueError(f"handled and ignored at once: {', '.join(both)}")

    async def __call__(self, conn: asyncpg.Connection, incoming: IncomingEvent) -> None:
        route = self._handlers.get(type(incoming.event))
        if route is not None:
            await route.handle(conn, incoming.event, incoming)


def person_of(event: DomainEvent) -> UUID | None:
    """The one person an event is about; None for an arrival, which names several (a service
    skips its erased members where it takes the arrival in), or an event about nobody."""
    if isinstance(event, PersonsMerged | MergeUndone):
        return event.duplicate_person_id
    person = getattr(event, "person_id", None)
    return person if isinstance(person, UUID) else None


#: of these persons, those the service knows were erased
ErasedAmong = Callable[[asyncpg.Connection, Sequence[UUID]], Awaitable[set[UUID]]]


def unless_erased(
    route: Handler, erased_among: ErasedAmong, passes_by: PassesBy = lambda event: False
) -> UnlessErased:
    """``route``, but nothing about a person erased before is taken in: an event about one
    person (``person_of``) whom ``erased_among`` finds erased is passed over. The erasure itself
    always is taken in (a second one finds the person erased and must still reach its handler).
    Events ``route`` (an EventRouter) has no handler for, and those ``passes_by`` says the
    service does nothing with, are passed over before anything is read for them."""
    return UnlessErased(route, erased_among, passes_by)


#: an event the service does nothing with, though its type is routed (say, a consent to
#: another purpose)
PassesBy = Callable[[DomainEvent], bool]


@dataclass(frozen=True)
class UnlessErased:
    """``unless_erased``'s handler; also a BatchHandler (shared.incoming): a batch's persons are
    looked up together, once, and again after an erasure in it. Aid took every event in with a
    look-up of its own, most of them for events it then did nothing with: 149,000 look-ups in
    the Oral week at 30,000 people."""

    route: Handler
    erased_among: ErasedAmong
    passes_by: PassesBy

    def takes(self, event: DomainEvent) -> bool:
        routed = not isinstance(self.route, EventRouter) or type(event) in self.route.handled
        return routed and not self.passes_by(event)

    async def __call__(self, conn: asyncpg.Connection, incoming: IncomingEvent) -> None:
        event = incoming.event
        if not self.takes(event):
            return
        person = person_of(event)
        if (
            not isinstance(event, PersonErased)
            and person is not None
            and await self.erased_among(conn, [person])
        ):
            return
        await self.route(conn, incoming)

    async def handle_batch(self, conn: asyncpg.Connection, events: Sequence[Taken]) -> None:
        taken = [one for one in events if self.takes(one.incoming.event)]
        persons = list({p for one in taken if (p := person_of(one.incoming.event)) is not None})
        erased = await self.erased_among(conn, persons) if persons else set()
        for one in events:
            event = one.incoming.event
            with one.span():  # a passed-over event's trace still shows it was taken in
                if not self.takes(event):
                    continue
                if isinstance(event, PersonErased):
                    await self.route(conn, one.incoming)
                    erased = await self.erased_among(conn, persons)  # as the erasure left it
                elif person_of(event) not in erased:
                    await self.route(conn, one.incoming)
