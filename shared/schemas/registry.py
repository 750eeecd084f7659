"""Which event types exist and which topic carries them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, get_args

from pydantic import Field, TypeAdapter

from shared.schemas.aid import AidEventTypes
from shared.schemas.base import DomainEvent
from shared.schemas.housing import HousingEventTypes
from shared.schemas.intake import IntakeEventTypes
from shared.topics import AID_EVENTS, HOUSING_EVENTS, INTAKE_EVENTS

#: the union of the event types each topic carries, one per context's module
_UNIONS: dict[str, Any] = {
    INTAKE_EVENTS: IntakeEventTypes,
    HOUSING_EVENTS: HousingEventTypes,
    AID_EVENTS: AidEventTypes,
}
#: each topic's union, told apart by each event's ``type`` (documentation: AsyncAPI, JSON Schema)
TOPIC_TYPES: dict[str, Any] = {
    topic: Annotated[union, Field(discriminator="type")] for topic, union in _UNIONS.items()
}
#: every message on a topic parses as its union, in one call
TOPIC_ADAPTERS: dict[str, TypeAdapter[Any]] = {
    topic: TypeAdapter(union) for topic, union in TOPIC_TYPES.items()
}
EVENT_TYPES: dict[str, type[DomainEvent]] = {
    model.__name__: model for union in _UNIONS.values() for model in get_args(union)
}


def load_event(
    event_type: str, data: str | bytes, types: Mapping[str, type[DomainEvent]] = EVENT_TYPES
) -> DomainEvent:
    """Parse a stored event of a known type (raises KeyError for an unknown type)."""
    return types[event_type].model_validate_json(data)
