"""Housing's entry point: wiring only, no rules."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import asyncpg
from asyncpg import Connection
from fastapi import FastAPI

from services.housing import board
from services.housing.api import routers
from services.housing.app import Leaving, expire_holds, release_person, release_persons
from services.housing.arrival_run import ArrivalRun, Holds, members_to_place
from services.housing.consent import forget_person, passes_housing_by, take_in
from services.housing.erasure import erase_person
from services.housing.events import HOUSING_EVENT_TYPES
from services.housing.metrics import register as register_metrics
from services.housing.placing import place_arrival
from services.housing.projections import project
from services.housing.queries import erased_among, shelters_with_expired_holds
from services.housing.rebuild import HousingReadModels
from services.housing.settings import HousingSettings
from shared.consumer import Handler, IncomingEvent, Taken
from shared.decider import in_transaction
from shared.event_router import EventRouter, on, reaction, unless_erased
from shared.eventstore import EventStore, event_metadata
from shared.http import admit_browser_origins
from shared.runtime import ServiceRuntime, serve, service_app
from shared.schemas import intake
from shared.state_cache import STATES_KEPT, StateCache
from shared.topics import HOUSING_EVENTS, INTAKE_EVENTS

MIGRATIONS = Path(__file__).parent / "migrations"
#: the topics housing subscribes to
CONSUMES = (INTAKE_EVENTS,)


def event_store(states_kept: int = STATES_KEPT) -> EventStore:
    return EventStore(
        topic=HOUSING_EVENTS,
        projectors=(project,),
        event_types=HOUSING_EVENT_TYPES,
        rebuilder=HousingReadModels,
        states=StateCache(states_kept),
    )


@dataclass(frozen=True)
class Reactions:
    """Housing's use cases for intake's events that take only some facts of the event."""

    store: EventStore
    holds: Holds

    async def gone(
        self, conn: Connection, event: intake.PersonGone, incoming: IncomingEvent
    ) -> None:
        person_id, reason = intake.person_gone(event)
        await release_person(
            conn, self.store, self.holds, person_id, reason, incoming.causation(),
            datetime.now(UTC),
        )  # fmt: skip


def routes(store: EventStore, holds: Holds) -> EventRouter:
    """What housing does with each type of intake's events, in one table."""
    react = Reactions(store, holds)
    return EventRouter(
        on(intake.PersonErased, reaction(erase_person, store, holds)),
        on(intake.ArrivalRegistered, reaction(place_arrival, store, holds)),
        on(intake.MergeUndone, reaction(place_arrival, store, holds)),
        on(intake.PersonDeparted, react.gone),
        on(intake.PersonsMerged, react.gone),
        on(intake.ConsentGiven, reaction(take_in, store, holds)),
        on(intake.ConsentWithdrawn, reaction(forget_person, store, holds)),
        # age band and needs corrected after placing: a placement is not redone for them
        ignored=(intake.PersonFactsCorrected,),
    )


#: a person left, or was merged away as a duplicate: their place freed and passed on
GONE = (intake.PersonDeparted, intake.PersonsMerged)


class HousingHandler:
    """Housing's routes, but nothing about a person erased before is taken in, and consents
    housing does nothing with are passed over before anything is read for them. A batch's
    arrivals that follow each other (consents passed over between them) are placed together
    (services/housing/arrival_run.py), and so are the people of its departures and merges that
    follow each other freed together (services/housing/app.py: ``release_persons``); every
    other event is handled on its own, in order."""

    def __init__(self, store: EventStore, holds: Holds) -> None:
        self._store, self._holds = store, holds
        self._routed = unless_erased(routes(store, holds), erased_among)

    async def __call__(self, conn: Connection, incoming: IncomingEvent) -> None:
        if not passes_housing_by(incoming.event):
            await self._routed(conn, incoming)

    async def handle_batch(self, conn: Connection, events: Sequence[Taken]) -> None:
        arrivals: list[tuple[Taken, intake.ArrivalRegistered]] = []
        gone: dict[UUID, Taken] = {}
        for taken in events:
            event = taken.incoming.event
            if passes_housing_by(event):
                with taken.span():
                    pass  # nothing to do, but the event's trace shows it was taken in
            elif isinstance(event, intake.ArrivalRegistered):
                await self._release_together(conn, gone)
                gone = {}
                arrivals.append((taken, event))
            elif isinstance(event, GONE):
                await self._place_together(conn, arrivals)
                arrivals = []
                person = intake.person_gone(event)[0]
                if person in gone:  # gone twice: the run ends, the second reads what it left
                    await self._release_together(conn, gone)
                    gone = {}
                gone[person] = taken
            else:
                await self._place_together(conn, arrivals)
                await self._release_together(conn, gone)
                arrivals, gone = [], {}
                with taken.span():
                    await self._routed(conn, taken.incoming)
        await self._place_together(conn, arrivals)
        await self._release_together(conn, gone)

    async def _release_together(self, conn: Connection, gone: dict[UUID, Taken]) -> None:
        """A run of departures (and merges), each person once: their places freed together
        (services/housing/app.py: ``release_persons``); the erased are passed over."""
        if not gone:
            return
        erased = await erased_among(conn, list(gone))
        leaving = []
        for person, taken in gone.items():
            event = taken.incoming.event
            assert isinstance(event, GONE)
            with taken.span():
                if person in erased:
                    continue
                causation = taken.incoming.causation()
                reason = intake.person_gone(event)[1]
                leaving.append(
                    Leaving(person, reason, causation, event_metadata(causation), taken.span)
                )
        await release_persons(conn, self._store, self._holds, leaving, datetime.now(UTC))

    async def _place_together(
        self, conn: Connection, run: Sequence[tuple[Taken, intake.ArrivalRegistered]]
    ) -> None:
        if not run:
            return
        people = [member.person_id for _, arrival in run for member in members_to_place(arrival)]
        together = await ArrivalRun.read(
            conn, self._store, self._holds, people, waitlists_may_exist=False
        )
        for taken, arrival in run:
            with taken.span():
                await together.place(arrival, taken.incoming.causation(), datetime.now(UTC))
        await together.append()


def handler(store: EventStore, holds: Holds) -> Handler:
    """Housing's handler of intake's events (HousingHandler)."""
    return HousingHandler(store, holds)


def create_app(settings: HousingSettings | None = None) -> FastAPI:
    settings = settings or HousingSettings()
    store = event_store(settings.states_kept)
    holds = settings.holds()

    def expiry(shelter_id: UUID, now: datetime) -> Callable[[asyncpg.Connection], Awaitable[int]]:
        async def work(conn: asyncpg.Connection) -> int:
            return await expire_holds(conn, store, holds, shelter_id, now)

        return work

    async def expire_due_holds(pool: asyncpg.Pool) -> int:
        """No-shows lose their holds, shelter by shelter, each in its own transaction."""
        now = datetime.now(UTC)
        async with pool.acquire() as conn:
            due = await shelters_with_expired_holds(conn, now)
        expired = 0
        for shelter_id in due:
            expired += await in_transaction(pool, expiry(shelter_id, now))
        return expired

    runtime = ServiceRuntime(
        name="housing",
        settings=settings,
        migrations_dir=MIGRATIONS,
        publishes_to=HOUSING_EVENTS,
        consumes=CONSUMES,
        handler=handler(store, holds),
        periodic=((settings.hold_check_seconds, expire_due_holds),),
    )
    register_metrics(runtime.metrics)
    app = service_app(
        runtime,
        title="Housing",
        description="Shelters of every kind, their units and places, host offers, placements "
        "that keep groups together, the waitlist, holds, check-in and check-out. Publishes "
        "housing.events.v2.",
        routers=(*routers, board.router),
    )
    admit_browser_origins(app, settings.cors_origins)  # the field app's pages
    app.state.store = store
    app.state.holds = holds
    app.state.expire_due_holds = expire_due_holds
    return app


def main() -> None:
    serve(create_app, HousingSettings())


if __name__ == "__main__":
    main()
