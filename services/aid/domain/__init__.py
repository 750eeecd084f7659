"""Aid's deciders, one module per aggregate: the beneficiary (a person), the household, one
item's stock at one site, the item's rules, and support requests and offers."""

from services.aid.domain.beneficiary import Beneficiary, beneficiary
from services.aid.domain.beneficiary_commands import (
    CloseEntitlements,
    EndResidency,
    IssueAid,
    RecordResident,
    RegisterBeneficiary,
    UpdateBeneficiaryFacts,
)

__all__ = [
    "Beneficiary",
    "CloseEntitlements",
    "EndResidency",
    "IssueAid",
    "RecordResident",
    "RegisterBeneficiary",
    "UpdateBeneficiaryFacts",
    "beneficiary",
]
