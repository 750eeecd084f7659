"""A departure that comes before the person's arrival: remembered once on the person's own
stream, so that the arrival does not place them and a rebuild of the read models keeps it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from uuid import UUID

from services.housing.events import DepartureBeforeArrival
from shared.decision import Decider
from shared.schemas.base import DomainEvent


@dataclass(frozen=True)
class RememberDeparture:
    person_id: UUID
    reason: Literal["departed", "merged"]
    actor: str
    now: datetime


def decide(command: RememberDeparture, remembered: bool) -> list[DomainEvent]:
    if remembered:
        return []  # a departure heard again (a redelivery, a merge after it) changes nothing
    return [
        DepartureBeforeArrival(actor=command.actor, occurred_at=command.now,
                               person_id=command.person_id, reason=command.reason)
    ]  # fmt: skip


def evolve(remembered: bool, event: DomainEvent) -> bool:
    return remembered or isinstance(event, DepartureBeforeArrival)


departure: Decider[RememberDeparture, bool] = Decider(False, decide, evolve)
