"""The shelter owns its beds: placing people is a decision of one shelter stream, so two
concurrent placements can never give the same bed (the second one conflicts and decides again).
The placement of an arrival that found no bed is a waitlist decision on the arrival's stream."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from uuid import UUID

from shared.decider import Decider, DomainError
from shared.schemas.base import DomainEvent
from shared.schemas.housing import (
    BedAssigned,
    BedReleased,
    PersonLeftWaitlist,
    PersonWaitlisted,
    ReleaseReason,
    ShelterKind,
    ShelterOpened,
)

# --- the shelter ---------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenShelter:
    shelter_id: UUID
    name: str
    kind: ShelterKind
    district: str
    beds: int
    actor: str
    now: datetime


@dataclass(frozen=True)
class AssignBeds:
    """Give every listed person of one arrival a bed here, all or none."""

    shelter_id: UUID
    arrival_id: UUID
    person_ids: tuple[UUID, ...]
    actor: str
    now: datetime


@dataclass(frozen=True)
class ReleaseBed:
    """Free the bed a person holds here, if any."""

    shelter_id: UUID
    person_id: UUID
    reason: ReleaseReason
    actor: str
    now: datetime


ShelterCommand = OpenShelter | AssignBeds | ReleaseBed


@dataclass(frozen=True)
class Unopened:
    pass


@dataclass(frozen=True)
class Open:
    beds: int
    occupant_of_bed: MappingProxyType[int, UUID]

    @property
    def free_beds(self) -> list[int]:
        return [bed for bed in range(1, self.beds + 1) if bed not in self.occupant_of_bed]


ShelterState = Unopened | Open


class ShelterNotOpen(DomainError):
    pass


class ShelterAlreadyOpen(DomainError):
    pass


class ShelterFull(DomainError):
    pass


def decide_shelter(command: ShelterCommand, state: ShelterState) -> list[DomainEvent]:
    if isinstance(command, OpenShelter):
        if isinstance(state, Open):
            raise ShelterAlreadyOpen(f"shelter {command.shelter_id} is already open")
        return [
            ShelterOpened(
                actor=command.actor,
                occurred_at=command.now,
                shelter_id=command.shelter_id,
                name=command.name,
                kind=command.kind,
                district=command.district,
                beds=command.beds,
            )
        ]
    if not isinstance(state, Open):
        raise ShelterNotOpen(f"shelter {command.shelter_id} is not open")
    if isinstance(command, ReleaseBed):
        return [
            BedReleased(
                actor=command.actor,
                occurred_at=command.now,
                shelter_id=command.shelter_id,
                bed_number=bed,
                person_id=command.person_id,
                reason=command.reason,
            )
            for bed, person in state.occupant_of_bed.items()
            if person == command.person_id
        ]
    housed = set(state.occupant_of_bed.values())
    newcomers = [person for person in command.person_ids if person not in housed]
    free = state.free_beds
    if len(newcomers) > len(free):
        raise ShelterFull(
            f"shelter {command.shelter_id} has {len(free)} free bed(s), {len(newcomers)} needed"
        )
    return [
        BedAssigned(
            actor=command.actor,
            occurred_at=command.now,
            shelter_id=command.shelter_id,
            bed_number=bed,
            person_id=person,
            arrival_id=command.arrival_id,
        )
        for person, bed in zip(newcomers, free, strict=False)
    ]


def evolve_shelter(state: ShelterState, event: DomainEvent) -> ShelterState:
    if isinstance(event, ShelterOpened):
        return Open(beds=event.beds, occupant_of_bed=MappingProxyType({}))
    if isinstance(event, BedAssigned) and isinstance(state, Open):
        return Open(
            beds=state.beds,
            occupant_of_bed=MappingProxyType(
                {**state.occupant_of_bed, event.bed_number: event.person_id}
            ),
        )
    if isinstance(event, BedReleased) and isinstance(state, Open):
        occupants = {bed: p for bed, p in state.occupant_of_bed.items() if bed != event.bed_number}
        return Open(beds=state.beds, occupant_of_bed=MappingProxyType(occupants))
    return state


shelter: Decider[ShelterCommand, ShelterState] = Decider(Unopened(), decide_shelter, evolve_shelter)

# --- the arrival's waitlist entry -------------------------------------------------------------


@dataclass(frozen=True)
class Waitlist:
    arrival_id: UUID
    person_ids: tuple[UUID, ...]
    reason: str
    actor: str
    now: datetime


@dataclass(frozen=True)
class LeaveWaitlist:
    arrival_id: UUID
    person_id: UUID
    reason: ReleaseReason
    actor: str
    now: datetime


@dataclass(frozen=True)
class Waiting:
    person_ids: frozenset[UUID]


def decide_waitlist(command: Waitlist | LeaveWaitlist, state: Waiting) -> list[DomainEvent]:
    if isinstance(command, LeaveWaitlist):
        if command.person_id not in state.person_ids:
            return []
        return [
            PersonLeftWaitlist(
                actor=command.actor,
                occurred_at=command.now,
                arrival_id=command.arrival_id,
                person_id=command.person_id,
                reason=command.reason,
            )
        ]
    return [
        PersonWaitlisted(
            actor=command.actor,
            occurred_at=command.now,
            arrival_id=command.arrival_id,
            person_id=person,
            reason=command.reason,
        )
        for person in command.person_ids
        if person not in state.person_ids  # waitlisting twice changes nothing
    ]


def evolve_waitlist(state: Waiting, event: DomainEvent) -> Waiting:
    if isinstance(event, PersonWaitlisted):
        return Waiting(state.person_ids | {event.person_id})
    if isinstance(event, PersonLeftWaitlist):
        return Waiting(state.person_ids - {event.person_id})
    return state


waitlist: Decider[Waitlist | LeaveWaitlist, Waiting] = Decider(
    Waiting(frozenset()), decide_waitlist, evolve_waitlist
)
