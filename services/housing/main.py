"""Housing's entry point: wiring only, no rules."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from fastapi import FastAPI

from services.housing.api import router
from services.housing.app import place_arrival, release_person
from services.housing.projections import project
from services.housing.settings import HousingSettings
from shared.consumer import IncomingEvent
from shared.eventstore import EventStore
from shared.runtime import ServiceRuntime, serve, service_app
from shared.schemas.intake import ArrivalRegistered, MergeUndone, PersonDeparted, PersonsMerged
from shared.topics import HOUSING_EVENTS, INTAKE_EVENTS

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: HousingSettings | None = None) -> FastAPI:
    settings = settings or HousingSettings()
    store = EventStore(topic=HOUSING_EVENTS, projectors=(project,))

    async def on_intake_event(conn: asyncpg.Connection, incoming: IncomingEvent) -> None:
        event, now = incoming.event, datetime.now(UTC)
        if isinstance(event, ArrivalRegistered | MergeUndone):
            await place_arrival(conn, store, event, incoming.causation(), now)
        elif isinstance(event, PersonDeparted):
            await release_person(
                conn, store, event.person_id, "departed", incoming.causation(), now
            )
        elif isinstance(event, PersonsMerged):
            await release_person(
                conn, store, event.duplicate_person_id, "merged", incoming.causation(), now
            )

    runtime = ServiceRuntime(
        name="housing",
        settings=settings,
        migrations_dir=MIGRATIONS,
        publishes_to=HOUSING_EVENTS,
        consumes=(INTAKE_EVENTS,),
        handler=on_intake_event,
    )
    app = service_app(
        runtime,
        title="Housing",
        description="Shelters, beds and placements. Publishes housing.events.v1.",
    )
    app.state.store = store
    app.include_router(router)
    return app


def main() -> None:
    settings = HousingSettings()
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
