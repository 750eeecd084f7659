"""Which event types exist and which topic carries them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import TypeAdapter

from shared.schemas.aid import (
    EntitlementGranted,
    EntitlementsClosed,
    ResidentRecorded,
    aid_event_adapter,
)
from shared.schemas.base import DomainEvent
from shared.schemas.housing import (
    BedAssigned,
    BedReleased,
    PersonCheckedIn,
    PersonCheckedOut,
    PersonLeftWaitlist,
    PersonWaitlisted,
    ShelterOpened,
    housing_event_adapter,
)
from shared.schemas.intake import (
    ArrivalRegistered,
    ConsentGiven,
    ConsentWithdrawn,
    MergeUndone,
    PersonDeparted,
    PersonFactsCorrected,
    PersonsMerged,
    intake_event_adapter,
)
from shared.topics import AID_EVENTS, HOUSING_EVENTS, INTAKE_EVENTS

EVENT_TYPES: dict[str, type[DomainEvent]] = {
    model.__name__: model
    for model in (
        ArrivalRegistered,
        ConsentGiven,
        ConsentWithdrawn,
        PersonFactsCorrected,
        PersonDeparted,
        PersonsMerged,
        MergeUndone,
        ShelterOpened,
        BedAssigned,
        PersonWaitlisted,
        BedReleased,
        PersonLeftWaitlist,
        PersonCheckedIn,
        PersonCheckedOut,
        ResidentRecorded,
        EntitlementGranted,
        EntitlementsClosed,
    )
}

TOPIC_ADAPTERS: dict[str, TypeAdapter[Any]] = {
    INTAKE_EVENTS: intake_event_adapter,
    HOUSING_EVENTS: housing_event_adapter,
    AID_EVENTS: aid_event_adapter,
}


def load_event(
    event_type: str, data: str | bytes, types: Mapping[str, type[DomainEvent]] = EVENT_TYPES
) -> DomainEvent:
    """Parse a stored event of a known type (raises KeyError for an unknown type)."""
    return types[event_type].model_validate_json(data)
