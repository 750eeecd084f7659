"""Aid's entry point: wiring only, no rules."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from fastapi import FastAPI

from services.aid.api import router
from services.aid.app import close_entitlements, record_resident
from services.aid.projections import project, project_arrival
from services.aid.settings import AidSettings
from shared.consumer import IncomingEvent
from shared.eventstore import EventStore
from shared.runtime import ServiceRuntime, serve, service_app
from shared.schemas.housing import BedAssigned
from shared.schemas.intake import ArrivalRegistered, PersonDeparted, PersonsMerged
from shared.topics import AID_EVENTS, HOUSING_EVENTS, INTAKE_EVENTS

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: AidSettings | None = None) -> FastAPI:
    settings = settings or AidSettings()
    store = EventStore(topic=AID_EVENTS, projectors=(project,))

    async def on_event(conn: asyncpg.Connection, incoming: IncomingEvent) -> None:
        event = incoming.event
        if isinstance(event, ArrivalRegistered):
            await project_arrival(conn, event)
        elif isinstance(event, BedAssigned):
            await record_resident(conn, store, event, incoming.causation(), datetime.now(UTC))
        elif isinstance(event, PersonDeparted):
            await close_entitlements(
                conn, store, event.person_id, "departed", incoming.causation(), datetime.now(UTC)
            )
        elif isinstance(event, PersonsMerged):
            await close_entitlements(
                conn, store, event.duplicate_person_id, "merged", incoming.causation(),
                datetime.now(UTC),
            )  # fmt: skip

    runtime = ServiceRuntime(
        name="aid",
        settings=settings,
        migrations_dir=MIGRATIONS,
        publishes_to=AID_EVENTS,
        consumes=(INTAKE_EVENTS, HOUSING_EVENTS),
        handler=on_event,
    )
    app = service_app(
        runtime,
        title="Aid",
        description="Residents and their entitlements. Publishes aid.events.v1.",
    )
    app.state.store = store
    app.include_router(router)
    return app


def main() -> None:
    settings = AidSettings()
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
