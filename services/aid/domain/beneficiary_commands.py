"""What may be asked of aid about one person: register them as a beneficiary (or forget them),
update their coarse facts, record where they live and when they leave, close their
entitlements, issue them a per-person item, or a per-household item for their household. Plain
data; the rules that answer them are in ``services.aid.domain.beneficiary`` (and, for the
household's items, ``services.aid.domain.household``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from uuid import UUID

from services.aid.domain.item_rules import ItemRules
from services.aid.domain.rules import Recipient
from shared.schemas.aid import AidItem
from shared.schemas.intake import AgeBand, NeedCode

ClosedReason = Literal["departed", "merged"]
#: housing's reason code for a check-out, recorded as given
CheckOutReason = str


@dataclass(frozen=True)
class RegisterBeneficiary:
    person_id: UUID
    household_id: UUID
    age_band: AgeBand
    needs: tuple[NeedCode, ...]
    actor: str
    now: datetime
    #: the consent itself (given later) rather than an arrival: it outranks an earlier refusal
    on_consent: bool = False


@dataclass(frozen=True)
class ForgetBeneficiary:
    """The person has not agreed to aid (on an arrival: ``on_arrival``), or withdrew."""

    person_id: UUID
    actor: str
    now: datetime
    on_arrival: bool = False


@dataclass(frozen=True)
class UpdateBeneficiaryFacts:
    person_id: UUID
    age_band: AgeBand
    needs: tuple[NeedCode, ...]
    actor: str
    now: datetime


@dataclass(frozen=True)
class RecordResident:
    person_id: UUID
    shelter_id: UUID
    actor: str
    now: datetime
    checked_in: bool = False


@dataclass(frozen=True)
class EndResidency:
    person_id: UUID
    shelter_id: UUID
    reason: CheckOutReason
    actor: str
    now: datetime


@dataclass(frozen=True)
class CloseEntitlements:
    person_id: UUID
    reason: ClosedReason
    actor: str
    now: datetime


@dataclass(frozen=True)
class IssueAid:
    """Hand ``quantity`` of a per-person item to the person at ``site_id``."""

    person_id: UUID
    issue_id: UUID
    item: AidItem
    quantity: int
    site_id: str
    rules: ItemRules
    actor: str
    now: datetime


@dataclass(frozen=True)
class IssueHouseholdAid:
    """Hand ``quantity`` of a per-household item to ``person_id`` for their household.

    ``recipient`` is what the person's own stream says of them (read, not appended: a check-out
    racing the issue changes nothing a household item depends on)."""

    household_id: UUID
    issue_id: UUID
    person_id: UUID
    item: AidItem
    quantity: int
    site_id: str
    rules: ItemRules
    recipient: Recipient
    actor: str
    now: datetime


BeneficiaryCommand = (
    RegisterBeneficiary
    | UpdateBeneficiaryFacts
    | RecordResident
    | EndResidency
    | CloseEntitlements
    | IssueAid
    | ForgetBeneficiary
)
