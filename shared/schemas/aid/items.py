"""What aid hands out and the rules of each item: the item codes, the patterns of site codes,
country codes and skill tags that every aid event shares, and the event that sets an item's
rules (the other aid modules build on these, so they come first)."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field

from shared.schemas.base import TopicEvent

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


#: what an item is counted in (services/aid/domain/item_rules.py says which item in which)
CountingUnit = Literal["parcel", "portion", "kit", "card", "set", "ticket", "voucher"]
#: the stream of one item's stock at one site: '<site code>:<item code>'
STOCK_ID_PATTERN = (
    SITE_PATTERN.removesuffix("$") + ":(" + "|".join(item.value for item in AidItem) + ")$"
)


def stock_id_of(site_id: str, item: AidItem) -> str:
    """The stream of one item's stock at one site."""
    return f"{site_id}:{item.value}"


# --- item rules ----------------------------------------------------------------------------


class IssuedPer(StrEnum):
    """Whom an item's limits count for."""

    PERSON = "person"
    HOUSEHOLD = "household"


class ItemRulesSet(TopicEvent):
    """The coordination centre set the entitlement rules of an aid item."""

    stream_field = "item"
    type: Literal["ItemRulesSet"] = "ItemRulesSet"
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
