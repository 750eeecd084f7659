"""Events of the housing context, published on ``housing.events.v2``.

A shelter has units (rooms, dormitories, halls) with numbered places (beds or floor places).
A place is first *held* for a person (``BedAssigned``, until ``hold_until``), then taken at
check-in, and freed at check-out, on release, or when the hold expires. No personal data of
people or hosts: ids, places, public codes and coarse facts only. What operators and host
networks type (a shelter's or a unit's name, its district) stays in housing
(services/housing/events.py).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field, TypeAdapter

from shared.schemas.base import DomainEvent, PartnerId
from shared.schemas.shelters import PlaceCode, Requirements, ShelterKind, Unit

ReleaseReason = Literal["departed", "merged", "offer_withdrawn", "moved"]


class ShelterOpened(DomainEvent):
    """An operator opened a shelter with its units."""

    stream_field = "shelter_id"
    type: Literal["ShelterOpened"] = "ShelterOpened"
    schema_version: Literal[2] = 2
    shelter_id: UUID = Field(description="Id of the shelter (the stream).")
    kind: ShelterKind = Field(description="What kind of place it is.")
    contact_partner_id: PartnerId | None = Field(default=None, description="Partner who runs it.")
    max_nights: int | None = Field(default=None, ge=1, description="Longest stay, if limited.")
    units: tuple[Unit, ...] = Field(min_length=1, description="Its rooms, dormitories, halls.")
    code: PlaceCode | None = Field(
        default=None, description="The shelter's short public code, unique among shelters."
    )


class HostOfferMade(DomainEvent):
    """A host network offered places in a local home for a period (not yet verified)."""

    stream_field = "shelter_id"
    type: Literal["HostOfferMade"] = "HostOfferMade"
    schema_version: Literal[2] = 2
    shelter_id: UUID = Field(description="Id of the offer, which becomes a shelter (the stream).")
    partner_id: PartnerId = Field(description="The host network that made and verifies the offer.")
    unit: Unit = Field(description="The home or room and its places.")
    available_from: date = Field(description="First night.")
    available_until: date = Field(description="Last night.")


class HostOfferVerified(DomainEvent):
    """The host network verified its offer: it can receive placements."""

    stream_field = "shelter_id"
    type: Literal["HostOfferVerified"] = "HostOfferVerified"
    schema_version: Literal[2] = 2
    shelter_id: UUID = Field(description="The offer (the stream).")


class HostOfferWithdrawn(DomainEvent):
    """The host withdrew the offer; whoever was placed there is released."""

    stream_field = "shelter_id"
    type: Literal["HostOfferWithdrawn"] = "HostOfferWithdrawn"
    schema_version: Literal[2] = 2
    shelter_id: UUID = Field(description="The offer (the stream).")


class UnitAdded(DomainEvent):
    """A shelter gained a unit."""

    stream_field = "shelter_id"
    type: Literal["UnitAdded"] = "UnitAdded"
    schema_version: Literal[2] = 2
    shelter_id: UUID = Field(description="Shelter (the stream).")
    unit: Unit = Field(description="The new unit.")


class UnitCapacityChanged(DomainEvent):
    """A unit's number of places changed (never below the people in it)."""

    stream_field = "shelter_id"
    type: Literal["UnitCapacityChanged"] = "UnitCapacityChanged"
    schema_version: Literal[2] = 2
    shelter_id: UUID = Field(description="Shelter (the stream).")
    unit_id: UUID = Field(description="The unit.")
    places: int = Field(ge=0, description="Its places from now on.")


class ShelterClosed(DomainEvent):
    """The shelter takes nobody new (those inside stay until they check out)."""

    stream_field = "shelter_id"
    type: Literal["ShelterClosed"] = "ShelterClosed"
    schema_version: Literal[2] = 2
    shelter_id: UUID = Field(description="Shelter (the stream).")


class ShelterReopened(DomainEvent):
    """The shelter takes people again."""

    stream_field = "shelter_id"
    type: Literal["ShelterReopened"] = "ShelterReopened"
    schema_version: Literal[2] = 2
    shelter_id: UUID = Field(description="Shelter (the stream).")


class BedAssigned(DomainEvent):
    """A place is held for a person until they check in (or the hold expires)."""

    stream_field = "shelter_id"
    type: Literal["BedAssigned"] = "BedAssigned"
    schema_version: Literal[2] = 2
    shelter_id: UUID = Field(description="Shelter that owns the place (the stream).")
    unit_id: UUID = Field(description="Unit of the place.")
    bed_number: int = Field(ge=1, description="Number of the place within the unit, from 1.")
    person_id: UUID = Field(description="Pseudonymous id of the person.")
    arrival_id: UUID = Field(description="Arrival (group) the person came with.")
    hold_until: AwareDatetime = Field(description="The place is kept until then for check-in.")


class HoldExpired(DomainEvent):
    """The person did not come in time: the place is free and passes on."""

    stream_field = "shelter_id"
    type: Literal["HoldExpired"] = "HoldExpired"
    schema_version: Literal[2] = 2
    shelter_id: UUID = Field(description="Shelter (the stream).")
    unit_id: UUID = Field(description="Unit of the place.")
    bed_number: int = Field(ge=1, description="The place now free.")
    person_id: UUID = Field(description="Pseudonymous id of the no-show.")


class PersonCheckedIn(DomainEvent):
    """Shelter staff saw the person arrive at their place: from now on they sleep there."""

    stream_field = "shelter_id"
    type: Literal["PersonCheckedIn"] = "PersonCheckedIn"
    schema_version: Literal[2] = 2
    shelter_id: UUID = Field(description="Shelter (the stream).")
    unit_id: UUID = Field(description="Unit of the place.")
    bed_number: int = Field(ge=1, description="The place the person took.")
    person_id: UUID = Field(description="Pseudonymous id of the person.")


class PersonCheckedOut(DomainEvent):
    """The person left the shelter; the place is free again."""

    stream_field = "shelter_id"
    type: Literal["PersonCheckedOut"] = "PersonCheckedOut"
    schema_version: Literal[2] = 2
    shelter_id: UUID = Field(description="Shelter (the stream).")
    unit_id: UUID = Field(description="Unit of the place.")
    bed_number: int = Field(ge=1, description="The place now free.")
    person_id: UUID = Field(description="Pseudonymous id of the person.")
    reason: Literal["left", "moved", "stay_ended", "departed", "merged", "offer_withdrawn"] = Field(
        description="Why: left on their own, moved by an operator, maximum stay reached, "
        "departed (intake), their record was merged, or the host withdrew."
    )


class BedReleased(DomainEvent):
    """A held place was freed before check-in: the person left or was a duplicate record."""

    stream_field = "shelter_id"
    type: Literal["BedReleased"] = "BedReleased"
    schema_version: Literal[2] = 2
    shelter_id: UUID = Field(description="Shelter that owns the place (the stream).")
    unit_id: UUID = Field(description="Unit of the place.")
    bed_number: int = Field(ge=1, description="The place now free.")
    person_id: UUID = Field(description="Pseudonymous id of the person who had it.")
    reason: ReleaseReason = Field(description="Why the place was freed.")


#: why housing gave no place (housing decides it; no one types it)
WaitlistReason = Literal["no_fitting_place", "no_places_together", "offer_withdrawn"]


class PersonWaitlisted(DomainEvent):
    """No fitting place was free: the person waits for one, with their party's needs."""

    stream_field = "arrival_id"
    type: Literal["PersonWaitlisted"] = "PersonWaitlisted"
    schema_version: Literal[2] = 2
    arrival_id: UUID = Field(description="Arrival (group) the person came with (the stream).")
    person_id: UUID = Field(description="Pseudonymous id of the person.")
    reason: WaitlistReason = Field(
        description="Why no place was given: no fitting free place in any open shelter, no open "
        "shelter with enough fitting free places for the group together, or the host withdrew "
        "the offer the person was placed in."
    )
    keep_together: bool = Field(default=False, description="Waits with their group, as one.")
    priority: bool = Field(default=False, description="Vulnerable: served first.")
    requirements: Requirements = Field(
        default_factory=Requirements, description="What a fitting unit must offer."
    )


class PersonLeftWaitlist(DomainEvent):
    """A waiting person no longer waits: placed, left, or a duplicate record."""

    stream_field = "arrival_id"
    type: Literal["PersonLeftWaitlist"] = "PersonLeftWaitlist"
    schema_version: Literal[2] = 2
    arrival_id: UUID = Field(description="Arrival (group) the person came with (the stream).")
    person_id: UUID = Field(description="Pseudonymous id of the person.")
    reason: Literal["placed", "departed", "merged"] = Field(description="Why.")


class PlaceFreedOnConsentWithdrawal(DomainEvent):
    """The person withdrew their consent to housing: their place, held or taken, is free and
    passes on (as on a departure)."""

    stream_field = "shelter_id"
    type: Literal["PlaceFreedOnConsentWithdrawal"] = "PlaceFreedOnConsentWithdrawal"
    schema_version: Literal[2] = 2
    shelter_id: UUID = Field(description="Shelter that owns the place (the stream).")
    unit_id: UUID = Field(description="Unit of the place.")
    bed_number: int = Field(ge=1, description="The place now free.")
    person_id: UUID = Field(description="Pseudonymous id of the person who had it.")
    checked_in: bool = Field(description="Whether they slept there (else it was only held).")


class PersonForgotten(DomainEvent):
    """The person withdrew their consent to housing: they no longer wait, and housing's read
    models keep nothing of them but that they are not to be placed. A consent given again
    brings them back as new."""

    stream_field = "arrival_id"
    type: Literal["PersonForgotten"] = "PersonForgotten"
    schema_version: Literal[2] = 2
    arrival_id: UUID = Field(description="Arrival (group) the person came with (the stream).")
    person_id: UUID = Field(description="Pseudonymous id of the person.")


HousingEventTypes = (
    ShelterOpened
    | HostOfferMade
    | HostOfferVerified
    | HostOfferWithdrawn
    | UnitAdded
    | UnitCapacityChanged
    | ShelterClosed
    | ShelterReopened
    | BedAssigned
    | HoldExpired
    | PersonCheckedIn
    | PersonCheckedOut
    | BedReleased
    | PersonWaitlisted
    | PersonLeftWaitlist
    | PlaceFreedOnConsentWithdrawal
    | PersonForgotten
)

HousingEvent = Annotated[HousingEventTypes, Field(discriminator="type")]
"""Every message on ``housing.events.v2`` parses as this union."""

housing_event_adapter: TypeAdapter[HousingEventTypes] = TypeAdapter(HousingEvent)
