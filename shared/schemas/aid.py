"""Events of the aid context, published on ``aid.events.v1``.

Aid owns donations and stock, the rules of each aid item, distributions to people and
households, and support for the way forward (onward travel, jobs). Subscribers see pseudonymous
ids, item codes, site codes, quantities and coarse facts (a destination country code); no free
text. Where a request carries details (a city, documents held, skills), they stay in aid's own
event store and never reach this topic.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Literal, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

from shared.schemas.base import DomainEvent
from shared.schemas.intake import AgeBand

#: a distribution site or store room: short lowercase code chosen by the coordination centre
SITE_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"
#: ISO 3166-1 alpha-2
COUNTRY_PATTERN = r"^[A-Z]{2}$"
#: a profession or skill as a lowercase tag, e.g. 'software_developer', 'python', 'c++'
TAG_PATTERN = r"^[a-z0-9][a-z0-9+#._-]{0,39}$"


class AidItem(StrEnum):
    FOOD_PARCEL = "food_parcel"
    HOT_MEAL = "hot_meal"
    HYGIENE_KIT = "hygiene_kit"
    SIM_CARD = "sim_card"
    BEDDING = "bedding"
    WARM_CLOTHES = "warm_clothes"
    TRANSPORT_TICKET = "transport_ticket"
    CASH_VOUCHER = "cash_voucher"


def stock_id_of(site_id: str, item: AidItem) -> str:
    """The stream of one item's stock at one site."""
    return f"{site_id}:{item.value}"


# --- beneficiaries ------------------------------------------------------------------------


class ResidentRecorded(DomainEvent):
    """Aid learned that a person sleeps at a shelter, which makes them a resident there."""

    stream_field = "person_id"
    type: Literal["ResidentRecorded"] = "ResidentRecorded"
    schema_version: Literal[1] = 1
    person_id: UUID = Field(description="Pseudonymous id of the person (the stream).")
    shelter_id: UUID = Field(description="Shelter where the person has a bed.")
    checked_in: bool = Field(
        default=False,
        description="False: a bed is held for them; true: they checked in (resident-only "
        "items need this).",
    )


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


class BeneficiaryRegistered(DomainEvent):
    """Aid learned of a person from intake: their household and whether they are vulnerable."""

    stream_field = "person_id"
    type: Literal["BeneficiaryRegistered"] = "BeneficiaryRegistered"
    schema_version: Literal[1] = 1
    person_id: UUID = Field(description="Pseudonymous id of the person (the stream).")
    household_id: UUID = Field(
        description="The household: the arrival (group) the person came with."
    )
    age_band: AgeBand = Field(description="Coarse age band.")
    vulnerable: bool = Field(
        description="Whether vulnerable-first items may use their reserve for this person "
        "(a needs code, a child or an elder)."
    )


class BeneficiaryForgotten(DomainEvent):
    """The person has not agreed to aid, or withdrew the agreement: their entitlements end,
    nothing is issued to them, and aid keeps none of their facts (household, age band,
    vulnerability) until they agree again, when they come back as new."""

    stream_field = "person_id"
    type: Literal["BeneficiaryForgotten"] = "BeneficiaryForgotten"
    schema_version: Literal[1] = 1
    person_id: UUID = Field(description="Pseudonymous id of the person (the stream).")


class BeneficiaryFactsUpdated(DomainEvent):
    """Intake corrected a person's coarse facts; what aid keeps of them changed."""

    stream_field = "person_id"
    type: Literal["BeneficiaryFactsUpdated"] = "BeneficiaryFactsUpdated"
    schema_version: Literal[1] = 1
    person_id: UUID = Field(description="Pseudonymous id of the person (the stream).")
    age_band: AgeBand = Field(description="Coarse age band after the correction.")
    vulnerable: bool = Field(description="Whether the person counts as vulnerable now.")


class ResidencyEnded(DomainEvent):
    """The person checked out of their shelter: resident-only entitlements end."""

    stream_field = "person_id"
    type: Literal["ResidencyEnded"] = "ResidencyEnded"
    schema_version: Literal[1] = 1
    person_id: UUID = Field(description="Pseudonymous id of the person (the stream).")
    shelter_id: UUID = Field(description="The shelter they left.")
    reason: str = Field(
        pattern=r"^[a-z_]{1,40}$",
        description="Why, as housing's check-out reported it (e.g. 'left', 'moved').",
    )


# --- item rules ----------------------------------------------------------------------------


class IssuedPer(StrEnum):
    """Whom an item's limits count for."""

    PERSON = "person"
    HOUSEHOLD = "household"


class ItemRulesSet(DomainEvent):
    """The coordination centre set the entitlement rules of an aid item."""

    stream_field = "item"
    type: Literal["ItemRulesSet"] = "ItemRulesSet"
    schema_version: Literal[1] = 1
    item: AidItem = Field(description="The item (the stream).")
    per: IssuedPer = Field(description="Limits count per person or per household (group).")
    max_per_day: int | None = Field(
        ge=1,
        le=1000,
        description="Most units per person or household per local day; none: no limit.",
    )
    min_interval_hours: int = Field(
        ge=0, le=8760, description="Hours that must pass between two issues; 0: none."
    )
    residents_only: bool = Field(description="Only people checked in at a shelter receive it.")
    vulnerable_first: bool = Field(
        description="The last units at a site (up to the low-stock level) go to vulnerable "
        "people only."
    )
    total_cap: int | None = Field(
        ge=1,
        le=100_000,
        description="Most units a person or household ever receives; none: no cap.",
    )
    low_stock_level: int = Field(
        ge=0, le=1_000_000, description="Stock at a site at or below this is flagged low."
    )


# --- stock ---------------------------------------------------------------------------------


class DonorKind(StrEnum):
    LOCAL_VOLUNTEER = "local_volunteer"
    BUSINESS = "business"
    NGO = "ngo"
    MUNICIPALITY = "municipality"


class WriteOffReason(StrEnum):
    SPOILED = "spoiled"
    EXPIRED = "expired"
    DAMAGED = "damaged"
    LOST = "lost"


class StockLot(BaseModel):
    """Units of one item sharing an expiry date (none for what does not expire)."""

    model_config = ConfigDict(frozen=True, strict=True, extra="forbid")

    expires_on: date | None = Field(description="Last day the units may be handed out.")
    quantity: int = Field(ge=1, description="Units in the lot.")


class _StockEvent(DomainEvent):
    stream_field = "stock_id"
    stock_id: str = Field(description="The stream: '<site_id>:<item>'.", max_length=100)
    site_id: str = Field(pattern=SITE_PATTERN, description="The site whose stock changed.")
    item: AidItem = Field(description="The item.")

    @model_validator(mode="after")
    def _stream_matches_site_and_item(self) -> Self:
        if self.stock_id != stock_id_of(self.site_id, self.item):
            raise ValueError("stock_id must be '<site_id>:<item>'")
        return self


class _LotsMoved(_StockEvent):
    quantity: int = Field(ge=1, description="Units moved, the sum of the lots.")
    lots: tuple[StockLot, ...] = Field(
        min_length=1, description="Which lots (by expiry) the units came from or went to."
    )

    @model_validator(mode="after")
    def _quantity_is_the_sum_of_lots(self) -> Self:
        if self.quantity != sum(lot.quantity for lot in self.lots):
            raise ValueError("quantity must be the sum of the lots")
        return self


class DonationReceived(_StockEvent):
    """A donation arrived at a site."""

    type: Literal["DonationReceived"] = "DonationReceived"
    schema_version: Literal[1] = 1
    donation_id: UUID = Field(description="Id of the donation.")
    quantity: int = Field(ge=1, description="Units received.")
    unit: str = Field(description="The unit the item is counted in, e.g. 'parcel'.", max_length=20)
    donor_kind: DonorKind = Field(description="Who gave it (no donor names are kept here).")
    expires_on: date | None = Field(description="Last day it may be handed out (food).")


class StockTransferredOut(_LotsMoved):
    """Units left a site for another site."""

    type: Literal["StockTransferredOut"] = "StockTransferredOut"
    schema_version: Literal[1] = 1
    transfer_id: UUID = Field(description="Id of the transfer (also on the arriving side).")
    to_site_id: str = Field(pattern=SITE_PATTERN, description="Where the units went.")


class StockTransferredIn(_LotsMoved):
    """Units arrived at a site from another site."""

    type: Literal["StockTransferredIn"] = "StockTransferredIn"
    schema_version: Literal[1] = 1
    transfer_id: UUID = Field(description="Id of the transfer (also on the leaving side).")
    from_site_id: str = Field(pattern=SITE_PATTERN, description="Where the units came from.")


class StockWrittenOff(_LotsMoved):
    """Units were spoiled, expired, damaged or lost and leave the stock."""

    type: Literal["StockWrittenOff"] = "StockWrittenOff"
    schema_version: Literal[1] = 1
    write_off_id: UUID = Field(description="Id of the write-off.")
    reason: WriteOffReason = Field(description="Why.")


class StockIssued(_LotsMoved):
    """Units left a site's stock in a distribution (the person's side is AidIssued)."""

    type: Literal["StockIssued"] = "StockIssued"
    schema_version: Literal[1] = 1
    issue_id: UUID = Field(description="The distribution (AidIssued or HouseholdAidIssued).")


# --- distributions -------------------------------------------------------------------------


class AidIssued(DomainEvent):
    """A person received an item whose limits count per person."""

    stream_field = "person_id"
    type: Literal["AidIssued"] = "AidIssued"
    schema_version: Literal[1] = 1
    person_id: UUID = Field(description="Pseudonymous id of the person (the stream).")
    issue_id: UUID = Field(description="Id of the distribution.")
    item: AidItem = Field(description="What was handed out.")
    quantity: int = Field(ge=1, description="How many units.")
    site_id: str = Field(pattern=SITE_PATTERN, description="Where.")


class HouseholdAidIssued(DomainEvent):
    """A household received an item whose limits count per household; one member collected it."""

    stream_field = "household_id"
    type: Literal["HouseholdAidIssued"] = "HouseholdAidIssued"
    schema_version: Literal[1] = 1
    household_id: UUID = Field(description="The household, i.e. its arrival id (the stream).")
    issue_id: UUID = Field(description="Id of the distribution.")
    person_id: UUID = Field(description="Pseudonymous id of the member who collected it.")
    item: AidItem = Field(description="What was handed out.")
    quantity: int = Field(ge=1, description="How many units.")
    site_id: str = Field(pattern=SITE_PATTERN, description="Where.")


# --- support for the way forward -----------------------------------------------------------


class SupportKind(StrEnum):
    ONWARD_TRAVEL = "onward_travel"
    JOB_SEARCH = "job_search"


class OfferKind(StrEnum):
    RIDE = "ride"
    TICKET = "ticket"
    JOB = "job"
    REMOTE_WORK = "remote_work"


class MatchBasis(StrEnum):
    DESTINATION = "destination"
    SKILLS = "skills"


class SupportRequested(DomainEvent):
    """A person asked for help to travel on or to find work (details stay in aid)."""

    stream_field = "request_id"
    type: Literal["SupportRequested"] = "SupportRequested"
    schema_version: Literal[1] = 1
    request_id: UUID = Field(description="Id of the request (the stream).")
    person_id: UUID = Field(description="Pseudonymous id of the person.")
    kind: SupportKind = Field(description="Onward travel or job search.")
    destination_country: str | None = Field(
        pattern=COUNTRY_PATTERN,
        description="Onward travel: ISO 3166-1 alpha-2 code of the destination country.",
    )


class SupportRequestWithdrawn(DomainEvent):
    """A request will not be followed any more."""

    stream_field = "request_id"
    type: Literal["SupportRequestWithdrawn"] = "SupportRequestWithdrawn"
    schema_version: Literal[1] = 1
    request_id: UUID = Field(description="The request (the stream).")
    person_id: UUID = Field(description="Pseudonymous id of the person.")
    reason: Literal["no_longer_needed", "departed", "merged", "other"] = Field(description="Why.")


class MatchProposed(DomainEvent):
    """Aid proposed an offer for a request: same destination, or fitting skills."""

    stream_field = "request_id"
    type: Literal["MatchProposed"] = "MatchProposed"
    schema_version: Literal[1] = 1
    request_id: UUID = Field(description="The request (the stream).")
    match_id: UUID = Field(description="Id of the match.")
    offer_id: UUID = Field(description="The offer proposed.")
    basis: MatchBasis = Field(description="Why it fits.")


class MatchAccepted(DomainEvent):
    """The person and the partner agreed: the offer's place is held for the request."""

    stream_field = "request_id"
    type: Literal["MatchAccepted"] = "MatchAccepted"
    schema_version: Literal[1] = 1
    request_id: UUID = Field(description="The request (the stream).")
    match_id: UUID = Field(description="The match.")
    offer_id: UUID = Field(description="The offer.")


class MatchCompleted(DomainEvent):
    """The ride was taken or the job started: the request is done."""

    stream_field = "request_id"
    type: Literal["MatchCompleted"] = "MatchCompleted"
    schema_version: Literal[1] = 1
    request_id: UUID = Field(description="The request (the stream).")
    match_id: UUID = Field(description="The match.")
    offer_id: UUID = Field(description="The offer.")


class MatchWithdrawn(DomainEvent):
    """A proposed or accepted match will not go ahead."""

    stream_field = "request_id"
    type: Literal["MatchWithdrawn"] = "MatchWithdrawn"
    schema_version: Literal[1] = 1
    request_id: UUID = Field(description="The request (the stream).")
    match_id: UUID = Field(description="The match.")
    offer_id: UUID = Field(description="The offer.")
    reason: Literal["declined", "offer_withdrawn", "request_withdrawn", "request_done", "other"] = (
        Field(description="Why.")
    )


class OfferPublished(DomainEvent):
    """A partner offered rides, tickets, a job or remote work (its free text stays in aid)."""

    stream_field = "offer_id"
    type: Literal["OfferPublished"] = "OfferPublished"
    schema_version: Literal[1] = 1
    offer_id: UUID = Field(description="Id of the offer (the stream).")
    kind: OfferKind = Field(description="What is offered.")
    country: str | None = Field(
        pattern=COUNTRY_PATTERN,
        description="Rides and tickets: destination country; jobs: country of the workplace.",
    )
    city: str | None = Field(
        max_length=100, description="Destination city of a ride or ticket, or of the workplace."
    )
    profession: str | None = Field(pattern=TAG_PATTERN, description="Jobs: profession wanted.")
    skills: tuple[Annotated[str, Field(pattern=TAG_PATTERN)], ...] = Field(
        max_length=30, description="Jobs: skills wanted, as tags."
    )
    languages: tuple[Annotated[str, Field(pattern=r"^[a-z]{2}$")], ...] = Field(
        max_length=10, description="Languages needed, ISO 639-1 (any one of them is enough)."
    )
    places: int = Field(ge=1, le=1000, description="Seats, tickets or positions offered.")


class OfferWithdrawn(DomainEvent):
    """The partner withdrew an offer: its open matches are withdrawn too."""

    stream_field = "offer_id"
    type: Literal["OfferWithdrawn"] = "OfferWithdrawn"
    schema_version: Literal[1] = 1
    offer_id: UUID = Field(description="The offer (the stream).")


class OfferPlaceTaken(DomainEvent):
    """An accepted match holds one of the offer's places."""

    stream_field = "offer_id"
    type: Literal["OfferPlaceTaken"] = "OfferPlaceTaken"
    schema_version: Literal[1] = 1
    offer_id: UUID = Field(description="The offer (the stream).")
    match_id: UUID = Field(description="The match holding the place.")
    request_id: UUID = Field(description="The request of the match.")


class OfferPlaceReleased(DomainEvent):
    """An accepted match was withdrawn: its place is free again."""

    stream_field = "offer_id"
    type: Literal["OfferPlaceReleased"] = "OfferPlaceReleased"
    schema_version: Literal[1] = 1
    offer_id: UUID = Field(description="The offer (the stream).")
    match_id: UUID = Field(description="The match that held the place.")
    request_id: UUID = Field(description="The request of the match.")


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

AidEvent = Annotated[AidEventTypes, Field(discriminator="type")]
"""Every message on ``aid.events.v1`` parses as this union."""

aid_event_adapter: TypeAdapter[AidEventTypes] = TypeAdapter(AidEvent)
