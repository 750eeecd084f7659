"""How one distribution is composed of two decisions, in one transaction: the recipient's
(the person's stream, or the household's for per-household items) and the site's stock."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from services.aid.domain.beneficiary import Beneficiary
from services.aid.domain.beneficiary_commands import IssueAid
from services.aid.domain.household import IssueHouseholdAid
from services.aid.domain.item_rules import ItemRules
from services.aid.domain.rules import check_recipient
from services.aid.domain.stock import DrawStock
from shared.schemas.aid import IssuedPer


def recipient_decision(
    rules: ItemRules,
    person: Beneficiary,
    person_id: UUID,
    issue_id: UUID,
    quantity: int,
    site_id: str,
    actor: str,
    now: datetime,
) -> tuple[str, IssueAid | IssueHouseholdAid]:
    """The stream that decides the recipient's side, and the command to decide there. Raises
    Refused when who the person is already settles it (a household item needs a household)."""
    if rules.per is IssuedPer.PERSON:
        command = IssueAid(person_id, issue_id, rules.item, quantity, site_id, rules, actor, now)
        return str(person_id), command
    check_recipient(rules, person.recipient)
    assert person.household_id is not None  # check_recipient refuses otherwise
    return str(person.household_id), IssueHouseholdAid(
        person.household_id, issue_id, person_id, rules.item, quantity, site_id, rules,
        person.recipient, actor, now,
    )  # fmt: skip


def stock_decision(
    rules: ItemRules,
    person: Beneficiary,
    issue_id: UUID,
    quantity: int,
    site_id: str,
    actor: str,
    now: datetime,
) -> DrawStock:
    """The units leave the site's stock; for a vulnerable-first item the low-stock level is the
    reserve kept for vulnerable people (the person at the counter, or the one collecting)."""
    reserve = rules.low_stock_level if rules.vulnerable_first else 0
    return DrawStock(
        site_id, rules.item, issue_id, quantity, reserve, person.vulnerable, actor, now
    )
