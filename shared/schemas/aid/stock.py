"""Stock at distribution sites and store rooms: donations in, transfers between sites, write-offs
and issues out, by lot (an expiry date)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Literal, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.schemas.aid.items import (
    SITE_PATTERN,
    STOCK_ID_PATTERN,
    AidItem,
    CountingUnit,
    stock_id_of,
)
from shared.schemas.base import DomainEvent


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
    stock_id: str = Field(description="The stream: '<site_id>:<item>'.", pattern=STOCK_ID_PATTERN)
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
    schema_version: Literal[2] = 2
    donation_id: UUID = Field(description="Id of the donation.")
    quantity: int = Field(ge=1, description="Units received.")
    unit: CountingUnit = Field(description="The unit the item is counted in, e.g. 'parcel'.")
    donor_kind: DonorKind = Field(description="Who gave it (no donor names are kept here).")
    expires_on: date | None = Field(description="Last day it may be handed out (food).")


class StockTransferredOut(_LotsMoved):
    """Units left a site for another site."""

    type: Literal["StockTransferredOut"] = "StockTransferredOut"
    schema_version: Literal[2] = 2
    transfer_id: UUID = Field(description="Id of the transfer (also on the arriving side).")
    to_site_id: str = Field(pattern=SITE_PATTERN, description="Where the units went.")


class StockTransferredIn(_LotsMoved):
    """Units arrived at a site from another site."""

    type: Literal["StockTransferredIn"] = "StockTransferredIn"
    schema_version: Literal[2] = 2
    transfer_id: UUID = Field(description="Id of the transfer (also on the leaving side).")
    from_site_id: str = Field(pattern=SITE_PATTERN, description="Where the units came from.")


class StockWrittenOff(_LotsMoved):
    """Units were spoiled, expired, damaged or lost and leave the stock."""

    type: Literal["StockWrittenOff"] = "StockWrittenOff"
    schema_version: Literal[2] = 2
    write_off_id: UUID = Field(description="Id of the write-off.")
    reason: WriteOffReason = Field(description="Why.")


class StockIssued(_LotsMoved):
    """Units left a site's stock in a distribution (the person's side is AidIssued)."""

    type: Literal["StockIssued"] = "StockIssued"
    schema_version: Literal[2] = 2
    issue_id: UUID = Field(description="The distribution (AidIssued or HouseholdAidIssued).")
