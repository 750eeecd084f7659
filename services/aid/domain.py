"""The beneficiary: what aid knows of one person and what they are entitled to, as a decider."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from uuid import UUID

from shared.decider import Decider
from shared.schemas.aid import AidItem, EntitlementGranted, EntitlementsClosed, ResidentRecorded
from shared.schemas.base import DomainEvent

#: what every resident may receive from the first night on
RESIDENT_ENTITLEMENTS: tuple[tuple[AidItem, int], ...] = ((AidItem.FOOD_PARCEL, 1),)


@dataclass(frozen=True)
class RecordResident:
    person_id: UUID
    shelter_id: UUID
    actor: str
    now: datetime


@dataclass(frozen=True)
class CloseEntitlements:
    person_id: UUID
    reason: Literal["departed", "merged"]
    actor: str
    now: datetime


@dataclass(frozen=True)
class Beneficiary:
    shelter_id: UUID | None
    entitled_to: frozenset[AidItem]


def decide(command: RecordResident | CloseEntitlements, state: Beneficiary) -> list[DomainEvent]:
    if isinstance(command, CloseEntitlements):
        if state.shelter_id is None and not state.entitled_to:
            return []  # nothing open
        return [
            EntitlementsClosed(
                actor=command.actor,
                occurred_at=command.now,
                person_id=command.person_id,
                reason=command.reason,
            )
        ]
    if state.shelter_id == command.shelter_id:
        return []  # already known to live there
    events: list[DomainEvent] = [
        ResidentRecorded(
            actor=command.actor,
            occurred_at=command.now,
            person_id=command.person_id,
            shelter_id=command.shelter_id,
        )
    ]
    events.extend(
        EntitlementGranted(
            actor=command.actor,
            occurred_at=command.now,
            person_id=command.person_id,
            item=item,
            per_day=per_day,
        )
        for item, per_day in RESIDENT_ENTITLEMENTS
        if item not in state.entitled_to
    )
    return events


def evolve(state: Beneficiary, event: DomainEvent) -> Beneficiary:
    if isinstance(event, ResidentRecorded):
        return Beneficiary(event.shelter_id, state.entitled_to)
    if isinstance(event, EntitlementGranted):
        return Beneficiary(state.shelter_id, state.entitled_to | {event.item})
    if isinstance(event, EntitlementsClosed):
        return Beneficiary(None, frozenset())
    return state


beneficiary: Decider[RecordResident | CloseEntitlements, Beneficiary] = Decider(
    Beneficiary(None, frozenset()), decide, evolve
)
