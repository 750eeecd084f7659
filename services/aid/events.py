"""Aid's internal events: kept in aid's event store, never published on a topic.

A support request's details (the city a person heads for, the documents they hold, the date
they want to leave, their skills) would say too much about a person fleeing conscription: the
topic carries only the request's kind and destination country, and the details are not in any
event at all but in services/aid/request_details.py, where an erasure reaches them. An offer's
free text (partner name, title, contact) is a partner's, about the offer, and stays here.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Literal
from uuid import UUID

from pydantic import Field

from shared.schemas.aid import COUNTRY_PATTERN, TAG_PATTERN
from shared.schemas.base import DomainEvent, InternalEvent
from shared.schemas.registry import EVENT_TYPES

Tag = Annotated[str, Field(pattern=TAG_PATTERN)]
Country = Annotated[str, Field(pattern=COUNTRY_PATTERN)]
Language = Annotated[str, Field(pattern=r"^[a-z]{2}$")]


class DocumentHeld(StrEnum):
    INTERNAL_PASSPORT = "internal_passport"
    FOREIGN_PASSPORT = "foreign_passport"
    VISA = "visa"
    RESIDENCE_PERMIT = "residence_permit"
    BIRTH_CERTIFICATE = "birth_certificate"
    DRIVING_LICENCE = "driving_licence"


class OfferDetailsRecorded(InternalEvent):
    """Who offers, how to reach them and where to, in the partner's words."""

    stream_field = "offer_id"
    type: Literal["OfferDetailsRecorded"] = "OfferDetailsRecorded"
    offer_id: UUID = Field(description="The offer (the stream).")
    partner: str = Field(max_length=200, description="The partner or employer offering.")
    title: str = Field(max_length=200, description="What is offered, in a line.")
    description: str | None = Field(max_length=2000, description="More about the offer.")
    contact: str | None = Field(max_length=200, description="How the caseworker reaches them.")
    available_until: date | None = Field(description="Last day the offer holds.")
    city: str | None = Field(
        default=None,
        max_length=100,
        description="Destination city of a ride or ticket, or of the workplace (on the first "
        "topic it travelled in OfferPublished; the move to aid.events.v2 brought it here).",
    )


AID_INTERNAL_EVENT_TYPES: dict[str, type[DomainEvent]] = {
    model.__name__: model for model in (OfferDetailsRecorded,)
}
#: what aid's event store loads: the shared contracts and aid's internal events
AID_EVENT_TYPES: dict[str, type[DomainEvent]] = {**EVENT_TYPES, **AID_INTERNAL_EVENT_TYPES}
