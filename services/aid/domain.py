"""The beneficiary: what aid knows of one person and what they are entitled to, as a decider."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from shared.decider import Decider
from shared.schemas.aid import AidItem, EntitlementGranted, ResidentRecorded
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
class Beneficiary:
    shelter_id: UUID | None
    entitled_to: frozenset[AidItem]


def decide(command: RecordResident, state: Beneficiary) -> list[DomainEvent]:
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
    return state


beneficiary: Decider[RecordResident, Beneficiary] = Decider(
    Beneficiary(None, frozenset()), decide, evolve
)
