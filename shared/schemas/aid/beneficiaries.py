"""Aid's beneficiaries: who is a resident, who is entitled to what, and a person's coarse facts
(age band, vulnerability) as aid holds them; pseudonymous ids only."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import Field

from shared.schemas.aid.items import AidItem
from shared.schemas.base import PersonEvent
from shared.schemas.intake import AgeBand


class ResidentRecorded(PersonEvent):
    """Aid learned that a person sleeps at a shelter, which makes them a resident there."""

    type: Literal["ResidentRecorded"] = "ResidentRecorded"
    shelter_id: UUID = Field(description="Shelter where the person has a bed.")
    checked_in: bool = Field(
        default=False,
        description="False: a bed is held for them; true: they checked in (resident-only "
        "items need this).",
    )


class EntitlementGranted(PersonEvent):
    """A person became entitled to an aid item."""

    type: Literal["EntitlementGranted"] = "EntitlementGranted"
    item: AidItem = Field(description="The item the person may receive.")
    per_day: int = Field(ge=1, le=100, description="How many the person may receive per day.")


class EntitlementsClosed(PersonEvent):
    """A person's entitlements ended: they left, or their record was merged into another."""

    type: Literal["EntitlementsClosed"] = "EntitlementsClosed"
    reason: Literal["departed", "merged"] = Field(description="Why they ended.")


class BeneficiaryRegistered(PersonEvent):
    """Aid learned of a person from intake: their household and whether they are vulnerable."""

    type: Literal["BeneficiaryRegistered"] = "BeneficiaryRegistered"
    household_id: UUID = Field(
        description="The household: the arrival (group) the person came with."
    )
    age_band: AgeBand = Field(description="Coarse age band.")
    vulnerable: bool = Field(
        description="Whether vulnerable-first items may use their reserve for this person "
        "(a needs code, a child or an elder)."
    )


class BeneficiaryForgotten(PersonEvent):
    """The person has not agreed to aid, or withdrew the agreement: their entitlements end,
    nothing is issued to them, and aid keeps none of their facts (household, age band,
    vulnerability) until they agree again, when they come back as new."""

    type: Literal["BeneficiaryForgotten"] = "BeneficiaryForgotten"


class BeneficiaryFactsUpdated(PersonEvent):
    """Intake corrected a person's coarse facts; what aid keeps of them changed."""

    type: Literal["BeneficiaryFactsUpdated"] = "BeneficiaryFactsUpdated"
    age_band: AgeBand = Field(description="Coarse age band after the correction.")
    vulnerable: bool = Field(description="Whether the person counts as vulnerable now.")


class ResidencyEnded(PersonEvent):
    """The person checked out of their shelter: resident-only entitlements end."""

    type: Literal["ResidencyEnded"] = "ResidencyEnded"
    shelter_id: UUID = Field(description="The shelter they left.")
    reason: str = Field(
        pattern=r"^[a-z_]{1,40}$",
        description="Why, as housing's check-out reported it (e.g. 'left', 'moved').",
    )
