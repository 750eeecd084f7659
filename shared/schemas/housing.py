"""Events of the housing context, published on ``housing.events.v1``."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal
from uuid import UUID

from pydantic import Field, TypeAdapter

from shared.schemas.base import DomainEvent


class ShelterKind(StrEnum):
    """The kinds of places Oral housed people in, September 2022."""

    CAMP_DORMITORY = "camp_dormitory"
    HOTEL = "hotel"
    HOSTEL = "hostel"
    MOSQUE = "mosque"
    CHURCH = "church"
    GYM = "gym"
    CINEMA = "cinema"
    FLOOR_SPACE = "floor_space"
    HOST_HOME = "host_home"
    RENTED_ROOM = "rented_room"


class ShelterOpened(DomainEvent):
    """An operator opened a shelter with a number of beds (or floor places)."""

    stream_field = "shelter_id"
    type: Literal["ShelterOpened"] = "ShelterOpened"
    schema_version: Literal[1] = 1
    shelter_id: UUID = Field(description="Id of the shelter (the stream).")
    name: str = Field(
        description="Public name of the shelter, e.g. 'Atameken camp'.", max_length=200
    )
    kind: ShelterKind = Field(description="What kind of place it is.")
    district: str = Field(description="District or village.", max_length=200)
    beds: int = Field(ge=1, le=100_000, description="Number of beds or floor places.")


class BedAssigned(DomainEvent):
    """Housing gave a person a bed in a shelter."""

    stream_field = "shelter_id"
    type: Literal["BedAssigned"] = "BedAssigned"
    schema_version: Literal[1] = 1
    shelter_id: UUID = Field(description="Shelter that owns the bed (the stream).")
    bed_number: int = Field(ge=1, description="Number of the bed within the shelter, from 1.")
    person_id: UUID = Field(description="Pseudonymous id of the person.")
    arrival_id: UUID = Field(description="Arrival (group) the person came with.")


class PersonWaitlisted(DomainEvent):
    """No fitting place was free: the person waits for one."""

    stream_field = "arrival_id"
    type: Literal["PersonWaitlisted"] = "PersonWaitlisted"
    schema_version: Literal[1] = 1
    arrival_id: UUID = Field(description="Arrival (group) the person came with (the stream).")
    person_id: UUID = Field(description="Pseudonymous id of the person.")
    reason: str = Field(description="Why no place was given, for operators.", max_length=500)


ReleaseReason = Literal["departed", "merged"]


class BedReleased(DomainEvent):
    """A bed became free: its sleeper left or turned out to be a duplicate record."""

    stream_field = "shelter_id"
    type: Literal["BedReleased"] = "BedReleased"
    schema_version: Literal[1] = 1
    shelter_id: UUID = Field(description="Shelter that owns the bed (the stream).")
    bed_number: int = Field(ge=1, description="The bed now free.")
    person_id: UUID = Field(description="Pseudonymous id of the person who had it.")
    reason: ReleaseReason = Field(description="Why the bed was freed.")


class PersonLeftWaitlist(DomainEvent):
    """A waiting person no longer waits: they left, or were a duplicate record."""

    stream_field = "arrival_id"
    type: Literal["PersonLeftWaitlist"] = "PersonLeftWaitlist"
    schema_version: Literal[1] = 1
    arrival_id: UUID = Field(description="Arrival (group) the person came with (the stream).")
    person_id: UUID = Field(description="Pseudonymous id of the person.")
    reason: ReleaseReason = Field(description="Why they left the waitlist.")


class PersonCheckedIn(DomainEvent):
    """Shelter staff saw the person arrive at their place: from now on they sleep there."""

    stream_field = "shelter_id"
    type: Literal["PersonCheckedIn"] = "PersonCheckedIn"
    schema_version: Literal[1] = 1
    shelter_id: UUID = Field(description="Shelter (the stream).")
    bed_number: int = Field(ge=1, description="The place the person took.")
    person_id: UUID = Field(description="Pseudonymous id of the person.")


class PersonCheckedOut(DomainEvent):
    """The person left the shelter; the place is free again."""

    stream_field = "shelter_id"
    type: Literal["PersonCheckedOut"] = "PersonCheckedOut"
    schema_version: Literal[1] = 1
    shelter_id: UUID = Field(description="Shelter (the stream).")
    bed_number: int = Field(ge=1, description="The place now free.")
    person_id: UUID = Field(description="Pseudonymous id of the person.")
    reason: Literal["left", "moved", "stay_ended", "departed", "merged"] = Field(
        description="Why: left on their own, moved by an operator, maximum stay reached, "
        "departed (intake), or their record was merged."
    )


HousingEventTypes = (
    ShelterOpened
    | BedAssigned
    | PersonWaitlisted
    | BedReleased
    | PersonLeftWaitlist
    | PersonCheckedIn
    | PersonCheckedOut
)

HousingEvent = Annotated[HousingEventTypes, Field(discriminator="type")]
"""Every message on ``housing.events.v1`` parses as this union."""

housing_event_adapter: TypeAdapter[HousingEventTypes] = TypeAdapter(HousingEvent)
