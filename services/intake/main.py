"""Intake's entry point: wiring only, no rules."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.intake.api import router
from services.intake.projections import project
from services.intake.settings import IntakeSettings
from shared.eventstore import EventStore
from shared.runtime import ServiceRuntime, serve, service_app
from shared.topics import INTAKE_EVENTS

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: IntakeSettings | None = None) -> FastAPI:
    settings = settings or IntakeSettings()
    runtime = ServiceRuntime(
        name="intake", settings=settings, migrations_dir=MIGRATIONS, publishes_to=INTAKE_EVENTS
    )
    app = service_app(
        runtime,
        title="Intake",
        description="Partners register arrivals: people, groups, needs. Personal data stays "
        "here; the topic intake.events.v1 carries only pseudonymous ids and coarse facts.",
    )
    app.state.store = EventStore(topic=INTAKE_EVENTS, projectors=(project,))
    app.include_router(router)
    return app


def main() -> None:
    settings = IntakeSettings()
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
