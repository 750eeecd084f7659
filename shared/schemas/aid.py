"""Events of the aid context, published on ``aid.events.v1``."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal
from uuid import UUID

from pydantic import Field, TypeAdapter

from shared.schemas.base import DomainEvent


class AidItem(StrEnum):
    FOOD_PARCEL = "food_parcel"
    HOT_MEAL = "hot_meal"
    HYGIENE_KIT = "hygiene_kit"
    SIM_CARD = "sim_card"
    BEDDING = "bedding"
    WARM_CLOTHES = "warm_clothes"
    TRANSPORT_TICKET = "transport_ticket"
    CASH_VOUCHER = "cash_voucher"


class ResidentRecorded(DomainEvent):
    """Aid learned that a person sleeps at a shelter, which makes them a resident there."""

    stream_field = "person_id"
    type: Literal["ResidentRecorded"] = "ResidentRecorded"
    schema_version: Literal[1] = 1
    person_id: UUID = Field(description="Pseudonymous id of the person (the stream).")
    shelter_id: UUID = Field(description="Shelter where the person has a bed.")


class EntitlementGranted(DomainEvent):
    """A person became entitled to an aid item."""

    stream_field = "person_id"
    type: Literal["EntitlementGranted"] = "EntitlementGranted"
    schema_version: Literal[1] = 1
    person_id: UUID = Field(description="Pseudonymous id of the person (the stream).")
    item: AidItem = Field(description="The item the person may receive.")
    per_day: int = Field(ge=1, le=100, description="How many the person may receive per day.")


class EntitlementsClosed(DomainEvent):
    """A person's entitlements ended: they left, or their record was merged into another."""

    stream_field = "person_id"
    type: Literal["EntitlementsClosed"] = "EntitlementsClosed"
    schema_version: Literal[1] = 1
    person_id: UUID = Field(description="Pseudonymous id of the person (the stream).")
    reason: Literal["departed", "merged"] = Field(description="Why they ended.")


AidEventTypes = ResidentRecorded | EntitlementGranted | EntitlementsClosed

AidEvent = Annotated[AidEventTypes, Field(discriminator="type")]
"""Every message on ``aid.events.v1`` parses as this union."""

aid_event_adapter: TypeAdapter[AidEventTypes] = TypeAdapter(AidEvent)
