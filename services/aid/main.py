"""Aid's entry point: wiring only, no rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from asyncpg import Connection
from fastapi import FastAPI

from services.aid.api import routers
from services.aid.app.beneficiaries import (
    close_entitlements,
    consent_changed,
    correct_facts,
    end_residency,
    passes_aid_by,
    record_resident,
    register_arrival,
)
from services.aid.app.erasure import erase_person
from services.aid.app.taking_in import AidHandler
from services.aid.domain.residency import StayEnded, why_stay_ended
from services.aid.erased_persons import erased_among
from services.aid.events import AID_EVENT_TYPES
from services.aid.metrics import register as register_metrics
from services.aid.projections import project
from services.aid.rebuild import AidReadModels
from services.aid.settings import AidSettings
from shared.consumer import IncomingEvent
from shared.event_router import EventRouter, on, reaction, unless_erased
from shared.eventstore import EventStore
from shared.http import admit_browser_origins
from shared.runtime import ServiceRuntime, serve, service_app
from shared.schemas import housing, intake
from shared.state_cache import STATES_KEPT, StateCache
from shared.topics import AID_EVENTS, HOUSING_EVENTS, INTAKE_EVENTS

MIGRATIONS = Path(__file__).parent / "migrations"
#: the topics aid subscribes to
CONSUMES = (INTAKE_EVENTS, HOUSING_EVENTS)


def event_store(states_kept: int = STATES_KEPT) -> EventStore:
    return EventStore(
        topic=AID_EVENTS,
        projectors=(project,),
        event_types=AID_EVENT_TYPES,
        rebuilder=AidReadModels,
        states=StateCache(states_kept),
    )


@dataclass(frozen=True)
class Reactions:
    """Aid's use cases for other services' events that take only some facts of the event."""

    store: EventStore

    async def leave(self, conn: Connection, event: StayEnded, incoming: IncomingEvent) -> None:
        await end_residency(
            conn, self.store, event.person_id, event.shelter_id, why_stay_ended(event),
            incoming.causation(), datetime.now(UTC),
        )  # fmt: skip

    async def gone(
        self, conn: Connection, event: intake.PersonGone, incoming: IncomingEvent
    ) -> None:
        person_id, reason = intake.person_gone(event)
        await close_entitlements(
            conn, self.store, person_id, reason, incoming.causation(), datetime.now(UTC)
        )


def routes(store: EventStore) -> EventRouter:
    """What aid does with each type of intake's and housing's events, in one table."""
    react = Reactions(store)
    return EventRouter(
        on(intake.PersonErased, reaction(erase_person, store)),
        on(intake.ArrivalRegistered, reaction(register_arrival, store)),
        on(intake.MergeUndone, reaction(register_arrival, store)),
        on(intake.PersonFactsCorrected, reaction(correct_facts, store)),
        on(housing.BedAssigned, reaction(record_resident, store)),
        on(housing.PersonCheckedIn, reaction(record_resident, store)),
        on(housing.PersonCheckedOut, react.leave),
        on(housing.BedReleased, react.leave),
        on(housing.HoldExpired, react.leave),
        on(housing.PlaceFreedOnConsentWithdrawal, react.leave),
        on(intake.PersonDeparted, react.gone),
        on(intake.PersonsMerged, react.gone),
        on(intake.ConsentGiven, reaction(consent_changed, store)),
        on(intake.ConsentWithdrawn, reaction(consent_changed, store)),
        # shelters, host offers, units, the waitlist: where a person sleeps is all aid needs;
        # housing forgetting a person follows intake's withdrawal, which aid takes itself
        ignored=(
            housing.ShelterOpened, housing.HostOfferMade, housing.HostOfferVerified,
            housing.HostOfferWithdrawn, housing.UnitAdded, housing.UnitCapacityChanged,
            housing.ShelterClosed, housing.ShelterReopened, housing.PersonWaitlisted,
            housing.PersonLeftWaitlist, housing.PersonForgotten,
        ),
    )  # fmt: skip


def handler(store: EventStore) -> AidHandler:
    """Aid's routes, but nothing about a person erased before is taken in, and consents aid
    does nothing with are passed over before anything is read for them; a batch's arrivals and
    stays are decided together (services/aid/app/taking_in.py)."""
    return AidHandler(store, unless_erased(routes(store), erased_among, passes_aid_by))


def create_app(settings: AidSettings | None = None) -> FastAPI:
    settings = settings or AidSettings()
    store = event_store(settings.states_kept)
    runtime = ServiceRuntime(
        name="aid",
        settings=settings,
        migrations_dir=MIGRATIONS,
        publishes_to=AID_EVENTS,
        consumes=CONSUMES,
        handler=handler(store),
    )
    register_metrics(runtime.metrics)
    app = service_app(
        runtime,
        title="Aid",
        description="Donations and stock per site, aid items and their entitlement rules, "
        "distributions to people and households, support for onward travel and jobs, and daily "
        "totals with HXL hashtags. Publishes aid.events.v2 (pseudonymous ids only).",
        routers=routers,
    )
    admit_browser_origins(app, settings.cors_origins)  # the field app's pages
    app.state.store = store
    return app


def main() -> None:
    serve(create_app, AidSettings())


if __name__ == "__main__":
    main()
