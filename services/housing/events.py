"""Housing's internal events: kept in housing's event store, never published on a topic.

What operators and host networks type about a place (a shelter's name, its district or
village, a unit's name) is free text, so it is housing's own business and stays here; the
topic carries the shelter's and units' ids, kinds and places.
"""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from shared.schemas.base import DomainEvent, InternalEvent
from shared.schemas.registry import EVENT_TYPES


class PersonMoved(InternalEvent):
    """An operator moved a person out of this shelter. The operator's reason is free text that
    can describe the person, so it is kept out of the events, in housing's ``move_notes``
    (beside this event's position), and deleted when the person is erased."""

    stream_field = "shelter_id"
    type: Literal["PersonMoved"] = "PersonMoved"
    shelter_id: UUID = Field(description="The shelter the person left (the stream).")
    person_id: UUID = Field(description="The person moved.")


class UnitName(BaseModel):
    """What an operator calls a unit, e.g. 'Dormitory 3'."""

    model_config = ConfigDict(frozen=True, strict=True, extra="forbid")

    unit_id: UUID = Field(description="The unit.")
    name: str = Field(max_length=200, description="Its name.")


class ShelterDescribed(InternalEvent):
    """What a shelter, a host's home or a new unit is called and where it is, as typed; beside
    the ShelterOpened, HostOfferMade or UnitAdded it describes, in the same stream."""

    stream_field = "shelter_id"
    type: Literal["ShelterDescribed"] = "ShelterDescribed"
    shelter_id: UUID = Field(description="The shelter (the stream).")
    name: str | None = Field(default=None, max_length=200, description="The shelter's name.")
    district: str | None = Field(default=None, max_length=200, description="District or village.")
    unit_names: tuple[UnitName, ...] = Field(default=(), description="Its units' names.")


class DepartureBeforeArrival(InternalEvent):
    """A person departed (or was merged into another record) before their arrival reached
    housing: remembered, so that the arrival, when it comes, does not place them. Private:
    aid hears of the departure from intake itself."""

    stream_field = "person_id"
    type: Literal["DepartureBeforeArrival"] = "DepartureBeforeArrival"
    person_id: UUID = Field(description="The person who left (the stream).")
    reason: Literal["departed", "merged"] = Field(description="How they left.")


HOUSING_EVENT_TYPES: dict[str, type[DomainEvent]] = {
    **EVENT_TYPES,
    **{model.__name__: model for model in (PersonMoved, ShelterDescribed, DepartureBeforeArrival)},
}
