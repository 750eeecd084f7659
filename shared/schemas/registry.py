"""Which event types exist and which topic carries them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, get_args

from pydantic import TypeAdapter

from shared.schemas.aid import (
    AidEvent,
    AidIssued,
    BeneficiaryFactsUpdated,
    BeneficiaryForgotten,
    BeneficiaryRegistered,
    DonationReceived,
    EntitlementGranted,
    EntitlementsClosed,
    HouseholdAidIssued,
    ItemRulesSet,
    MatchAccepted,
    MatchCompleted,
    MatchProposed,
    MatchWithdrawn,
    OfferPlaceReleased,
    OfferPlaceTaken,
    OfferPublished,
    OfferWithdrawn,
    ResidencyEnded,
    ResidentRecorded,
    StockIssued,
    StockTransferredIn,
    StockTransferredOut,
    StockWrittenOff,
    SupportRequested,
    SupportRequestWithdrawn,
    aid_event_adapter,
)
from shared.schemas.base import DomainEvent
from shared.schemas.housing import HousingEvent, HousingEventTypes, housing_event_adapter
from shared.schemas.intake import (
    ArrivalRegistered,
    ConsentGiven,
    ConsentWithdrawn,
    IntakeEvent,
    MergeUndone,
    PersonDeparted,
    PersonErased,
    PersonFactsCorrected,
    PersonsMerged,
    intake_event_adapter,
)
from shared.topics import AID_EVENTS, HOUSING_EVENTS, INTAKE_EVENTS

_HOUSING: tuple[type[DomainEvent], ...] = get_args(HousingEventTypes)

_ALL: tuple[type[DomainEvent], ...] = (
    *_HOUSING,
    ArrivalRegistered,
    ConsentGiven,
    ConsentWithdrawn,
    PersonFactsCorrected,
    PersonDeparted,
    PersonsMerged,
    MergeUndone,
    PersonErased,
    ResidentRecorded,
    EntitlementGranted,
    EntitlementsClosed,
    BeneficiaryRegistered,
    BeneficiaryFactsUpdated,
    ResidencyEnded,
    BeneficiaryForgotten,
    ItemRulesSet,
    DonationReceived,
    StockTransferredOut,
    StockTransferredIn,
    StockWrittenOff,
    StockIssued,
    AidIssued,
    HouseholdAidIssued,
    SupportRequested,
    SupportRequestWithdrawn,
    MatchProposed,
    MatchAccepted,
    MatchCompleted,
    MatchWithdrawn,
    OfferPublished,
    OfferWithdrawn,
    OfferPlaceTaken,
    OfferPlaceReleased,
)
EVENT_TYPES: dict[str, type[DomainEvent]] = {model.__name__: model for model in _ALL}

#: the event union of each topic (for documentation: AsyncAPI, JSON Schema)
TOPIC_TYPES: dict[str, Any] = {
    INTAKE_EVENTS: IntakeEvent,
    HOUSING_EVENTS: HousingEvent,
    AID_EVENTS: AidEvent,
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
