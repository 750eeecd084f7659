"""Housing's internal events: kept in housing's event store, never published on a topic."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import Field

from shared.schemas.base import DomainEvent
from shared.schemas.registry import EVENT_TYPES


class PersonMoved(DomainEvent):
    """An operator moved a person out of this shelter. The operator's reason is free text that
    can describe the person, so it is kept out of the events, in housing's ``move_notes``
    (beside this event's position), and deleted when the person is erased."""

    stream_field = "shelter_id"
    type: Literal["PersonMoved"] = "PersonMoved"
    schema_version: Literal[1] = 1
    shelter_id: UUID = Field(description="The shelter the person left (the stream).")
    person_id: UUID = Field(description="The person moved.")


class DepartureBeforeArrival(DomainEvent):
    """A person departed (or was merged into another record) before their arrival reached
    housing: remembered, so that the arrival, when it comes, does not place them. Private:
    aid hears of the departure from intake itself."""

    stream_field = "person_id"
    type: Literal["DepartureBeforeArrival"] = "DepartureBeforeArrival"
    schema_version: Literal[1] = 1
    person_id: UUID = Field(description="The person who left (the stream).")
    reason: Literal["departed", "merged"] = Field(description="How they left.")


HOUSING_EVENT_TYPES: dict[str, type[DomainEvent]] = {
    **EVENT_TYPES,
    "PersonMoved": PersonMoved,
    "DepartureBeforeArrival": DepartureBeforeArrival,
}
