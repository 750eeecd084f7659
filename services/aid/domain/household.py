"""The household (the arrival's group) decides issues of per-household items, so that two
members collecting the same weekly kit at two sites cannot both get it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from uuid import UUID

from services.aid.domain.item_rules import ItemRules
from services.aid.domain.rules import Issue, Recipient, check_limits, check_recipient
from shared.decision import Decider, DomainError
from shared.schemas.aid import AidItem, HouseholdAidIssued, IssuedPer
from shared.schemas.base import DomainEvent


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


@dataclass(frozen=True)
class Household:
    issued: MappingProxyType[AidItem, tuple[Issue, ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )


def decide(command: IssueHouseholdAid, state: Household) -> list[DomainEvent]:
    if command.rules.per is not IssuedPer.HOUSEHOLD:
        raise DomainError(f"{command.item.value} is issued per person, not per household")
    if command.quantity < 1:
        raise DomainError("the quantity must be at least 1")
    check_recipient(command.rules, command.recipient)
    if command.recipient.household_id != command.household_id:
        raise DomainError(f"the person is not a member of household {command.household_id}")
    history = state.issued.get(command.item, ())
    check_limits(command.rules, history, command.quantity, command.now, "the household")
    return [
        HouseholdAidIssued(
            actor=command.actor,
            occurred_at=command.now,
            household_id=command.household_id,
            issue_id=command.issue_id,
            person_id=command.person_id,
            item=command.item,
            quantity=command.quantity,
            site_id=command.site_id,
        )
    ]


def evolve(state: Household, event: DomainEvent) -> Household:
    if isinstance(event, HouseholdAidIssued):
        earlier = state.issued.get(event.item, ())
        issued = {**state.issued, event.item: (*earlier, Issue(event.occurred_at, event.quantity))}
        return Household(MappingProxyType(issued))
    return state


household: Decider[IssueHouseholdAid, Household] = Decider(Household(), decide, evolve)
