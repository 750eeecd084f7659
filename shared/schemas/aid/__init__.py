"""Events of the aid context, published on ``aid.events.v2``.

Aid owns donations and stock, the rules of each aid item, distributions to people and
households, and support for the way forward (onward travel, jobs). Subscribers see pseudonymous
ids, item codes, site codes, quantities and coarse facts (a destination country code); no free
text. Where a request carries details (a city, documents held, skills), they stay in aid's own
event store and never reach this topic.
"""

from __future__ import annotations

# One module per part of aid's domain; this package re-exports every name so that importers
# keep ``from shared.schemas.aid import ...`` and the topic's union stays in one place.
from shared.schemas.aid.beneficiaries import (
    BeneficiaryFactsUpdated,
    BeneficiaryForgotten,
    BeneficiaryRegistered,
    EntitlementGranted,
    EntitlementsClosed,
    ResidencyEnded,
    ResidentRecorded,
)
from shared.schemas.aid.distribution import (
    AidIssued,
    HouseholdAidIssued,
)
from shared.schemas.aid.items import (
    COUNTRY_PATTERN,
    SITE_PATTERN,
    STOCK_ID_PATTERN,
    TAG_PATTERN,
    AidItem,
    CountingUnit,
    IssuedPer,
    ItemRulesSet,
    stock_id_of,
)
from shared.schemas.aid.stock import (
    DonationReceived,
    DonorKind,
    StockIssued,
    StockLot,
    StockTransferredIn,
    StockTransferredOut,
    StockWrittenOff,
    WriteOffReason,
)
from shared.schemas.aid.support import (
    MatchAccepted,
    MatchBasis,
    MatchCompleted,
    MatchProposed,
    MatchWithdrawn,
    OfferKind,
    OfferPlaceReleased,
    OfferPlaceTaken,
    OfferPublished,
    OfferWithdrawn,
    SupportKind,
    SupportRequested,
    SupportRequestWithdrawn,
)

#: every message on ``aid.events.v2`` is one of these (shared/schemas/registry.py)
AidEventTypes = (
    ResidentRecorded
    | EntitlementGranted
    | EntitlementsClosed
    | BeneficiaryRegistered
    | BeneficiaryFactsUpdated
    | ResidencyEnded
    | BeneficiaryForgotten
    | ItemRulesSet
    | DonationReceived
    | StockTransferredOut
    | StockTransferredIn
    | StockWrittenOff
    | StockIssued
    | AidIssued
    | HouseholdAidIssued
    | SupportRequested
    | SupportRequestWithdrawn
    | MatchProposed
    | MatchAccepted
    | MatchCompleted
    | MatchWithdrawn
    | OfferPublished
    | OfferWithdrawn
    | OfferPlaceTaken
    | OfferPlaceReleased
)

__all__ = [
    "COUNTRY_PATTERN",
    "SITE_PATTERN",
    "STOCK_ID_PATTERN",
    "TAG_PATTERN",
    "AidEventTypes",
    "AidIssued",
    "AidItem",
    "BeneficiaryFactsUpdated",
    "BeneficiaryForgotten",
    "BeneficiaryRegistered",
    "CountingUnit",
    "DonationReceived",
    "DonorKind",
    "EntitlementGranted",
    "EntitlementsClosed",
    "HouseholdAidIssued",
    "IssuedPer",
    "ItemRulesSet",
    "MatchAccepted",
    "MatchBasis",
    "MatchCompleted",
    "MatchProposed",
    "MatchWithdrawn",
    "OfferKind",
    "OfferPlaceReleased",
    "OfferPlaceTaken",
    "OfferPublished",
    "OfferWithdrawn",
    "ResidencyEnded",
    "ResidentRecorded",
    "StockIssued",
    "StockLot",
    "StockTransferredIn",
    "StockTransferredOut",
    "StockWrittenOff",
    "SupportKind",
    "SupportRequestWithdrawn",
    "SupportRequested",
    "WriteOffReason",
    "stock_id_of",
]
