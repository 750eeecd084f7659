"""The household (the arrival's group) decides issues of per-household items, so that two
members collecting the same weekly kit at two sites cannot both get it."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType

# the command lives with the person's (an issue is asked of either); its name stays importable
from services.aid.domain.beneficiary_commands import IssueHouseholdAid
from services.aid.domain.issue import check_issue, handed_out, with_issue
from services.aid.domain.rules import Issue
from shared.decision import Decider, stamp
from shared.schemas.aid import AidItem, HouseholdAidIssued
from shared.schemas.base import DomainEvent

__all__ = ["Household", "IssueHouseholdAid", "decide", "evolve", "household"]


@dataclass(frozen=True)
class Household:
    issued: MappingProxyType[AidItem, tuple[Issue, ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )


def decide(command: IssueHouseholdAid, state: Household) -> list[DomainEvent]:
    check_issue(command, command.recipient, state.issued, household_id=command.household_id)
    return [
        HouseholdAidIssued(
            **stamp(command), household_id=command.household_id, **handed_out(command)
        )
    ]


def evolve(state: Household, event: DomainEvent) -> Household:
    if isinstance(event, HouseholdAidIssued):
        return Household(with_issue(state.issued, event))
    return state


household: Decider[IssueHouseholdAid, Household] = Decider(Household(), decide, evolve)
