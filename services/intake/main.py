"""Intake's entry point: wiring only, no rules."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from fastapi import FastAPI

from services.intake import placements
from services.intake.api import languages, routers
from services.intake.events import INTAKE_EVENT_TYPES
from services.intake.known_keys import KnownKeys
from services.intake.metrics import register as register_metrics
from services.intake.projections import projector
from services.intake.rebuild import IntakeReadModels
from services.intake.registration_rows import RegistrationRows
from services.intake.settings import IntakeSettings
from services.intake.vault import Vault
from shared.event_router import EventRouter, on
from shared.eventstore import EventStore
from shared.runtime import ServiceRuntime, serve, service_app
from shared.schemas import housing
from shared.state_cache import STATES_KEPT, StateCache
from shared.topics import HOUSING_EVENTS, INTAKE_EVENTS

MIGRATIONS = Path(__file__).parent / "migrations"
#: the topics intake subscribes to: where housing placed each person, for the partner who
#: registered them (field app)
CONSUMES = (HOUSING_EVENTS,)

#: what intake does with each type of housing's events, in one table
ROUTES = EventRouter(
    on(housing.BedAssigned, placements.held),
    on(housing.PersonWaitlisted, placements.waiting),
    on(housing.PersonCheckedIn, placements.checked_in),
    on(housing.PersonCheckedOut, placements.released),
    on(housing.BedReleased, placements.released),
    on(housing.HoldExpired, placements.released),
    on(housing.PlaceFreedOnConsentWithdrawal, placements.freed_on_withdrawal),
    on(housing.PersonForgotten, placements.forgotten),
    on(housing.ShelterOpened, placements.opened),
    on(housing.UnitAdded, placements.unit_added),
    # none of these alone changes the place shown to the partner (a withdrawn host offer
    # releases its guests with events of their own; a host's home has no public code, so it
    # is shown by id); a person leaving the waitlist is followed by their hold, their
    # departure or housing forgetting them
    ignored=(
        housing.HostOfferMade, housing.HostOfferVerified, housing.HostOfferWithdrawn,
        housing.UnitCapacityChanged, housing.ShelterClosed, housing.ShelterReopened,
        housing.PersonLeftWaitlist,
    ),
)  # fmt: skip


def event_store(vault: Vault, states_kept: int = STATES_KEPT) -> EventStore:
    registration = RegistrationRows(vault)
    return EventStore(
        topic=INTAKE_EVENTS,
        projectors=(projector(vault),),
        set_projector=registration,
        event_types=INTAKE_EVENT_TYPES,
        rebuilder=partial(IntakeReadModels, vault),
        states=StateCache(states_kept),
    )


def create_app(settings: IntakeSettings | None = None) -> FastAPI:
    settings = settings or IntakeSettings()
    runtime = ServiceRuntime(
        name="intake",
        settings=settings,
        migrations_dir=MIGRATIONS,
        publishes_to=INTAKE_EVENTS,
        consumes=CONSUMES,
        handler=ROUTES,
    )
    register_metrics(runtime.metrics)
    app = service_app(
        runtime,
        title="Intake",
        description="Partners register arrivals: people, groups, needs, consent, departures. "
        "Personal data stays here, sealed per person; the topic intake.events.v2 carries only "
        "pseudonymous ids and coarse facts.",
        routers=routers,
    )
    app.state.vault = Vault(settings.master_keyring())
    app.state.known_keys = KnownKeys()
    app.state.store = event_store(app.state.vault, settings.states_kept)
    languages.install(app)
    return app


def main() -> None:
    serve(create_app, IntakeSettings())


if __name__ == "__main__":
    main()
