"""Housing's internal events: kept in housing's event store, never published on a topic."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import Field

from shared.schemas.base import DomainEvent
from shared.schemas.registry import EVENT_TYPES


class PersonMoved(DomainEvent):
    """An operator moved a person out of this shelter; the reason is free text, so it stays
    in housing (free text can carry personal details)."""

    stream_field = "shelter_id"
    type: Literal["PersonMoved"] = "PersonMoved"
    schema_version: Literal[1] = 1
    shelter_id: UUID = Field(description="The shelter the person left (the stream).")
    person_id: UUID = Field(description="The person moved.")
    reason: str = Field(max_length=500, description="Why, as the operator wrote it.")


HOUSING_EVENT_TYPES: dict[str, type[DomainEvent]] = {**EVENT_TYPES, "PersonMoved": PersonMoved}
