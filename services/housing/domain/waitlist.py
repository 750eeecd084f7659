"""An arrival's place on the waitlist: who of them waits, with what needs, how urgently."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from uuid import UUID

from shared.decision import Decider
from shared.schemas.base import DomainEvent
from shared.schemas.housing import (
    PersonForgotten,
    PersonLeftWaitlist,
    PersonWaitlisted,
    WaitlistReason,
)
from shared.schemas.shelters import Requirements


@dataclass(frozen=True)
class Waitlist:
    arrival_id: UUID
    person_ids: tuple[UUID, ...]
    reason: WaitlistReason
    keep_together: bool
    priority: bool
    requirements: Requirements
    actor: str
    now: datetime


@dataclass(frozen=True)
class LeaveWaitlist:
    arrival_id: UUID
    person_id: UUID
    reason: Literal["placed", "departed", "merged"]
    actor: str
    now: datetime


@dataclass(frozen=True)
class Forget:
    """The person withdrew their consent to housing: they wait no more, and housing keeps
    nothing of them but that they are not to be placed."""

    arrival_id: UUID
    person_id: UUID
    actor: str
    now: datetime


WaitlistCommand = Waitlist | LeaveWaitlist | Forget


@dataclass(frozen=True)
class Waiting:
    person_ids: frozenset[UUID]


def decide(command: WaitlistCommand, state: Waiting) -> list[DomainEvent]:
    if isinstance(command, Forget):
        # recorded even when they do not wait: the arrival may not have reached housing yet
        return [
            PersonForgotten(actor=command.actor, occurred_at=command.now,
                            arrival_id=command.arrival_id, person_id=command.person_id)
        ]  # fmt: skip
    if isinstance(command, LeaveWaitlist):
        if command.person_id not in state.person_ids:
            return []
        return [
            PersonLeftWaitlist(
                actor=command.actor, occurred_at=command.now, arrival_id=command.arrival_id,
                person_id=command.person_id, reason=command.reason,
            )
        ]  # fmt: skip
    return [
        PersonWaitlisted(
            actor=command.actor,
            occurred_at=command.now,
            arrival_id=command.arrival_id,
            person_id=person,
            reason=command.reason,
            keep_together=command.keep_together,
            priority=command.priority,
            requirements=command.requirements,
        )
        for person in command.person_ids
        if person not in state.person_ids  # waitlisting twice changes nothing
    ]


def evolve(state: Waiting, event: DomainEvent) -> Waiting:
    if isinstance(event, PersonWaitlisted):
        return Waiting(state.person_ids | {event.person_id})
    if isinstance(event, PersonLeftWaitlist | PersonForgotten):
        return Waiting(state.person_ids - {event.person_id})
    return state


waitlist: Decider[WaitlistCommand, Waiting] = Decider(Waiting(frozenset()), decide, evolve)
