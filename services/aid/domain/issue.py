"""One issue of an item, as the person's stream (per-person items) and the household's
(per-household items) both decide it: every rule it passes, what it records, and how it counts
against the next one."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import TypedDict
from uuid import UUID

from services.aid.domain.beneficiary_commands import IssueAid, IssueHouseholdAid
from services.aid.domain.rules import Issue, Recipient, check_limits, check_recipient
from shared.decision import DomainError
from shared.schemas.aid import AidIssued, AidItem, HouseholdAidIssued, IssuedPer

#: an issue asked of the person's stream, or of their household's
Handing = IssueAid | IssueHouseholdAid


class HandedOut(TypedDict):
    """What an issue records, to a person or for their household: who took how many of which
    item, where, under which issue id."""

    person_id: UUID
    issue_id: UUID
    item: AidItem
    quantity: int
    site_id: str


def handed_out(command: Handing) -> HandedOut:
    return {
        "person_id": command.person_id,
        "issue_id": command.issue_id,
        "item": command.item,
        "quantity": command.quantity,
        "site_id": command.site_id,
    }


def check_issue(
    command: Handing,
    recipient: Recipient,
    issued: Mapping[AidItem, Sequence[Issue]],
    household_id: UUID | None = None,
) -> None:
    """Every rule an issue passes, to the person (``household_id`` None) or to the household
    ``household_id`` through one of its members: the item is issued that way, at least one
    unit, to someone the rules admit, within the limits. Raises DomainError for a request that
    cannot be right, Refused (naming the rule) for one a rule says no to."""
    per = IssuedPer.PERSON if household_id is None else IssuedPer.HOUSEHOLD
    if command.rules.per is not per:
        raise DomainError(
            f"{command.item.value} is issued per {command.rules.per.value}, not per {per.value}"
        )
    if command.quantity < 1:
        raise DomainError("the quantity must be at least 1")
    check_recipient(command.rules, recipient)
    if household_id is not None and recipient.household_id != household_id:
        raise DomainError(f"the person is not a member of household {household_id}")
    history = issued.get(command.item, ())
    whom = "the person" if household_id is None else "the household"
    check_limits(command.rules, history, command.quantity, command.now, whom)


def with_issue(
    issued: Mapping[AidItem, tuple[Issue, ...]], event: AidIssued | HouseholdAidIssued
) -> MappingProxyType[AidItem, tuple[Issue, ...]]:
    """The issues counted so far, and the one the event records."""
    earlier = issued.get(event.item, ())
    return MappingProxyType(
        {**issued, event.item: (*earlier, Issue(event.occurred_at, event.quantity))}
    )
