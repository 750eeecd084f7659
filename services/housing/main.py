"""Housing's entry point: wiring only, no rules."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import asyncpg
from fastapi import FastAPI

from services.housing import board
from services.housing.api import routers
from services.housing.app import expire_holds, release_person
from services.housing.consent import forget_person, take_in
from services.housing.erasure import about_an_erased_person, erase_person
from services.housing.events import HOUSING_EVENT_TYPES
from services.housing.metrics import register as register_metrics
from services.housing.placing import Holds, place_arrival
from services.housing.projections import project
from services.housing.rebuild import HousingReadModels
from services.housing.settings import HousingSettings
from shared.consumer import Handler, IncomingEvent
from shared.decider import in_transaction
from shared.eventstore import EventStore
from shared.http import admit_browser_origins
from shared.runtime import ServiceRuntime, serve, service_app
from shared.schemas.intake import (
    ArrivalRegistered,
    ConsentGiven,
    ConsentWithdrawn,
    MergeUndone,
    PersonDeparted,
    PersonErased,
    PersonsMerged,
)
from shared.topics import HOUSING_EVENTS, INTAKE_EVENTS

MIGRATIONS = Path(__file__).parent / "migrations"


def event_store() -> EventStore:
    return EventStore(
        topic=HOUSING_EVENTS,
        projectors=(project,),
        event_types=HOUSING_EVENT_TYPES,
        rebuilder=HousingReadModels,
    )


def handler(store: EventStore, holds: Holds) -> Handler:
    """What housing does with intake's events; nothing about a person erased before."""

    async def on_intake_event(conn: asyncpg.Connection, incoming: IncomingEvent) -> None:
        event, now, causation = incoming.event, datetime.now(UTC), incoming.causation()
        if isinstance(event, PersonErased):
            await erase_person(conn, store, holds, event, causation, now)
        elif await about_an_erased_person(conn, event):
            return
        elif isinstance(event, ArrivalRegistered | MergeUndone):
            await place_arrival(conn, store, holds, event, causation, now)
        elif isinstance(event, PersonDeparted):
            await release_person(conn, store, holds, event.person_id, "departed", causation, now)
        elif isinstance(event, PersonsMerged):
            await release_person(
                conn, store, holds, event.duplicate_person_id, "merged", causation, now
            )
        elif isinstance(event, ConsentGiven):
            await take_in(conn, store, holds, event, causation, now)
        elif isinstance(event, ConsentWithdrawn):
            await forget_person(conn, store, holds, event, causation, now)

    return on_intake_event


def create_app(settings: HousingSettings | None = None) -> FastAPI:
    settings = settings or HousingSettings()
    store = event_store()
    holds = settings.holds()

    def expiry(shelter_id: UUID, now: datetime) -> Callable[[asyncpg.Connection], Awaitable[int]]:
        async def work(conn: asyncpg.Connection) -> int:
            return await expire_holds(conn, store, holds, shelter_id, now)

        return work

    async def expire_due_holds(pool: asyncpg.Pool) -> int:
        """No-shows lose their holds, shelter by shelter, each in its own transaction."""
        now = datetime.now(UTC)
        due = await pool.fetch(
            "SELECT DISTINCT shelter_id FROM placements WHERE status = 'held' AND hold_until <= $1",
            now,
        )
        expired = 0
        for row in due:
            expired += await in_transaction(pool, expiry(row["shelter_id"], now))
        return expired

    runtime = ServiceRuntime(
        name="housing",
        settings=settings,
        migrations_dir=MIGRATIONS,
        publishes_to=HOUSING_EVENTS,
        consumes=(INTAKE_EVENTS,),
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
    )
    admit_browser_origins(app, settings.cors_origins)  # the field app's pages
    app.state.store = store
    app.state.holds = holds
    app.state.expire_due_holds = expire_due_holds
    for router in routers:
        app.include_router(router)
    app.include_router(board.router)
    return app


def main() -> None:
    settings = HousingSettings()
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
