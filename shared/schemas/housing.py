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
from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, Field

from shared.schemas.base import PartnerId, TopicEvent
from shared.schemas.shelters import PlaceCode, Requirements, ShelterKind, Unit

ReleaseReason = Literal["departed", "merged", "offer_withdrawn", "moved"]


class _ShelterEvent(TopicEvent):
    """An event in a shelter's stream (a host's offer becomes a shelter too)."""

    stream_field = "shelter_id"
    shelter_id: UUID = Field(description="Shelter (the stream).")


class _PlaceEvent(_ShelterEvent):
    """An event about one place of a shelter and the person who has or had it. An event below
    that says more about a field declares it again with its own description (the field keeps
    its place in the schema)."""

    unit_id: UUID = Field(description="Unit of the place.")
    bed_number: int = Field(ge=1, description="The place now free.")
    person_id: UUID = Field(description="Pseudonymous id of the person.")


class _ArrivalPersonEvent(TopicEvent):
    """An event about one person, in the stream of the arrival (group) they came with."""

    stream_field = "arrival_id"
    arrival_id: UUID = Field(description="Arrival (group) the person came with (the stream).")
    person_id: UUID = Field(description="Pseudonymous id of the person.")


class ShelterOpened(_ShelterEvent):
    """An operator opened a shelter with its units."""

    type: Literal["ShelterOpened"] = "ShelterOpened"
    shelter_id: UUID = Field(description="Id of the shelter (the stream).")
    kind: ShelterKind = Field(description="What kind of place it is.")
    contact_partner_id: PartnerId | None = Field(default=None, description="Partner who runs it.")
    max_nights: int | None = Field(default=None, ge=1, description="Longest stay, if limited.")
    units: tuple[Unit, ...] = Field(min_length=1, description="Its rooms, dormitories, halls.")
    code: PlaceCode | None = Field(
        default=None, description="The shelter's short public code, unique among shelters."
    )


class HostOfferMade(_ShelterEvent):
    """A host network offered places in a local home for a period (not yet verified)."""

    type: Literal["HostOfferMade"] = "HostOfferMade"
    shelter_id: UUID = Field(description="Id of the offer, which becomes a shelter (the stream).")
    partner_id: PartnerId = Field(description="The host network that made and verifies the offer.")
    unit: Unit = Field(description="The home or room and its places.")
    available_from: date = Field(description="First night.")
    available_until: date = Field(description="Last night.")


class HostOfferVerified(_ShelterEvent):
    """The host network verified its offer: it can receive placements."""

    type: Literal["HostOfferVerified"] = "HostOfferVerified"
    shelter_id: UUID = Field(description="The offer (the stream).")


class HostOfferWithdrawn(_ShelterEvent):
    """The host withdrew the offer; whoever was placed there is released."""

    type: Literal["HostOfferWithdrawn"] = "HostOfferWithdrawn"
    shelter_id: UUID = Field(description="The offer (the stream).")


class UnitAdded(_ShelterEvent):
    """A shelter gained a unit."""

    type: Literal["UnitAdded"] = "UnitAdded"
    unit: Unit = Field(description="The new unit.")


class UnitCapacityChanged(_ShelterEvent):
    """A unit's number of places changed (never below the people in it)."""

    type: Literal["UnitCapacityChanged"] = "UnitCapacityChanged"
    unit_id: UUID = Field(description="The unit.")
    places: int = Field(ge=0, description="Its places from now on.")


class ShelterClosed(_ShelterEvent):
    """The shelter takes nobody new (those inside stay until they check out)."""

    type: Literal["ShelterClosed"] = "ShelterClosed"


class ShelterReopened(_ShelterEvent):
    """The shelter takes people again."""

    type: Literal["ShelterReopened"] = "ShelterReopened"


class BedAssigned(_PlaceEvent):
    """A place is held for a person until they check in (or the hold expires)."""

    type: Literal["BedAssigned"] = "BedAssigned"
    shelter_id: UUID = Field(description="Shelter that owns the place (the stream).")
    bed_number: int = Field(ge=1, description="Number of the place within the unit, from 1.")
    arrival_id: UUID = Field(description="Arrival (group) the person came with.")
    hold_until: AwareDatetime = Field(description="The place is kept until then for check-in.")


class HoldExpired(_PlaceEvent):
    """The person did not come in time: the place is free and passes on."""

    type: Literal["HoldExpired"] = "HoldExpired"
    person_id: UUID = Field(description="Pseudonymous id of the no-show.")


class PersonCheckedIn(_PlaceEvent):
    """Shelter staff saw the person arrive at their place: from now on they sleep there."""

    type: Literal["PersonCheckedIn"] = "PersonCheckedIn"
    bed_number: int = Field(ge=1, description="The place the person took.")


class PersonCheckedOut(_PlaceEvent):
    """The person left the shelter; the place is free again."""

    type: Literal["PersonCheckedOut"] = "PersonCheckedOut"
    reason: Literal["left", "moved", "stay_ended", "departed", "merged", "offer_withdrawn"] = Field(
        description="Why: left on their own, moved by an operator, maximum stay reached, "
        "departed (intake), their record was merged, or the host withdrew."
    )


class BedReleased(_PlaceEvent):
    """A held place was freed before check-in: the person left or was a duplicate record."""

    type: Literal["BedReleased"] = "BedReleased"
    shelter_id: UUID = Field(description="Shelter that owns the place (the stream).")
    person_id: UUID = Field(description="Pseudonymous id of the person who had it.")
    reason: ReleaseReason = Field(description="Why the place was freed.")


#: why housing gave no place (housing decides it; no one types it)
WaitlistReason = Literal["no_fitting_place", "no_places_together", "offer_withdrawn"]


class PersonWaitlisted(_ArrivalPersonEvent):
    """No fitting place was free: the person waits for one, with their party's needs."""

    type: Literal["PersonWaitlisted"] = "PersonWaitlisted"
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


class PersonLeftWaitlist(_ArrivalPersonEvent):
    """A waiting person no longer waits: placed, left, or a duplicate record."""

    type: Literal["PersonLeftWaitlist"] = "PersonLeftWaitlist"
    reason: Literal["placed", "departed", "merged"] = Field(description="Why.")


class PlaceFreedOnConsentWithdrawal(_PlaceEvent):
    """The person withdrew their consent to housing: their place, held or taken, is free and
    passes on (as on a departure)."""

    type: Literal["PlaceFreedOnConsentWithdrawal"] = "PlaceFreedOnConsentWithdrawal"
    shelter_id: UUID = Field(description="Shelter that owns the place (the stream).")
    person_id: UUID = Field(description="Pseudonymous id of the person who had it.")
    checked_in: bool = Field(description="Whether they slept there (else it was only held).")


class PersonForgotten(_ArrivalPersonEvent):
    """The person withdrew their consent to housing: they no longer wait, and housing's read
    models keep nothing of them but that they are not to be placed. A consent given again
    brings them back as new."""

    type: Literal["PersonForgotten"] = "PersonForgotten"


#: every message on ``housing.events.v2`` is one of these (shared/schemas/registry.py)
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
