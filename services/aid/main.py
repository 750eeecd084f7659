"""Aid's entry point: wiring only, no rules."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from fastapi import FastAPI

from services.aid.api import routers
from services.aid.app.beneficiaries import (
    close_entitlements,
    consent_changed,
    correct_facts,
    end_residency,
    record_resident,
    register_arrival,
)
from services.aid.app.erased import about_an_erased_person
from services.aid.app.erasure import erase_person
from services.aid.events import AID_EVENT_TYPES
from services.aid.metrics import register as register_metrics
from services.aid.projections import project
from services.aid.rebuild import AidReadModels
from services.aid.settings import AidSettings
from shared.consumer import Handler, IncomingEvent
from shared.eventstore import EventStore
from shared.http import admit_browser_origins
from shared.runtime import ServiceRuntime, serve, service_app
from shared.schemas.housing import (
    BedAssigned,
    BedReleased,
    HoldExpired,
    PersonCheckedIn,
    PersonCheckedOut,
    PlaceFreedOnConsentWithdrawal,
)
from shared.schemas.intake import (
    ArrivalRegistered,
    ConsentGiven,
    ConsentWithdrawn,
    MergeUndone,
    PersonDeparted,
    PersonErased,
    PersonFactsCorrected,
    PersonsMerged,
)
from shared.topics import AID_EVENTS, HOUSING_EVENTS, INTAKE_EVENTS

MIGRATIONS = Path(__file__).parent / "migrations"


def event_store() -> EventStore:
    return EventStore(
        topic=AID_EVENTS,
        projectors=(project,),
        event_types=AID_EVENT_TYPES,
        rebuilder=AidReadModels,
    )


def handler(store: EventStore) -> Handler:
    """What aid does with intake's and housing's events; nothing about a person erased before."""

    async def on_event(conn: asyncpg.Connection, incoming: IncomingEvent) -> None:
        event, causation, now = incoming.event, incoming.causation(), datetime.now(UTC)
        if isinstance(event, PersonErased):
            await erase_person(conn, store, event, causation, now)
        elif await about_an_erased_person(conn, event):
            return  # nothing about an erased person is taken in
        elif isinstance(event, ArrivalRegistered | MergeUndone):
            await register_arrival(conn, store, event, causation, now)
        elif isinstance(event, PersonFactsCorrected):
            await correct_facts(conn, store, event, causation, now)
        elif isinstance(event, BedAssigned | PersonCheckedIn):
            await record_resident(
                conn, store, event.person_id, event.shelter_id, causation, now,
                checked_in=isinstance(event, PersonCheckedIn),
            )  # fmt: skip
        elif isinstance(
            event, PersonCheckedOut | BedReleased | HoldExpired | PlaceFreedOnConsentWithdrawal
        ):
            # a check-out, a released hold, a no-show, a place given up with the consent to
            # housing: they no longer sleep there
            reason = (
                event.reason
                if isinstance(event, PersonCheckedOut | BedReleased)
                else "no_show"
                if isinstance(event, HoldExpired)
                else "consent_withdrawn"
            )
            await end_residency(
                conn, store, event.person_id, event.shelter_id, reason, causation, now
            )
        elif isinstance(event, PersonDeparted):
            await close_entitlements(conn, store, event.person_id, "departed", causation, now)
        elif isinstance(event, PersonsMerged):
            await close_entitlements(
                conn, store, event.duplicate_person_id, "merged", causation, now
            )
        elif isinstance(event, ConsentGiven | ConsentWithdrawn):
            await consent_changed(conn, store, event, causation, now)

    return on_event


def create_app(settings: AidSettings | None = None) -> FastAPI:
    settings = settings or AidSettings()
    store = event_store()
    runtime = ServiceRuntime(
        name="aid",
        settings=settings,
        migrations_dir=MIGRATIONS,
        publishes_to=AID_EVENTS,
        consumes=(INTAKE_EVENTS, HOUSING_EVENTS),
        handler=handler(store),
    )
    register_metrics(runtime.metrics)
    app = service_app(
        runtime,
        title="Aid",
        description="Donations and stock per site, aid items and their entitlement rules, "
        "distributions to people and households, support for onward travel and jobs, and daily "
        "totals with HXL hashtags. Publishes aid.events.v1 (pseudonymous ids only).",
    )
    admit_browser_origins(app, settings.cors_origins)  # the field app's pages
    app.state.store = store
    for router in routers:
        app.include_router(router)
    return app


def main() -> None:
    settings = AidSettings()
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
