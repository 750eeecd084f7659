"""The arrival: who crossed the border together, as a pure decider.

Commands bring ``now`` and new ids, so nothing here reads a clock or makes a uuid. Personal
data (names, documents, birth dates) never enters an event: the decider only sees the coarse
facts that other services may know.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

from shared.decision import Decider, DomainError
from shared.schemas.base import DomainEvent
from shared.schemas.intake import AgeBand, ArrivalRegistered, ArrivingMember, ConsentPurpose


@dataclass(frozen=True)
class RegisterArrival:
    arrival_id: UUID
    partner_id: str
    members: tuple[ArrivingMember, ...]
    keep_together: bool
    arrival_date: date
    crossing_point: str
    now: datetime
    consents: tuple[ConsentPurpose, ...] = ()  # what every member agreed to


@dataclass(frozen=True)
class NotRegistered:
    pass


@dataclass(frozen=True)
class Registered:
    partner_id: str
    person_ids: frozenset[UUID]


ArrivalState = NotRegistered | Registered


class ArrivalDateInFuture(DomainError):
    pass


class DuplicatePersonInArrival(DomainError):
    pass


def age_band(age: int) -> AgeBand:
    """The coarse band that travels on the topic instead of a birth date."""
    if age < 18:
        return AgeBand.CHILD
    if age < 30:
        return AgeBand.YOUNG_ADULT
    if age < 50:
        return AgeBand.ADULT
    if age < 65:
        return AgeBand.SENIOR
    return AgeBand.ELDER


def age_on(birth_date: date, day: date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


#: the day begins first at UTC+14: a partner's "today" is never later than that day there
EARLIEST_DAYBREAK = timedelta(hours=14)


def latest_arrival_date(now: datetime) -> date:
    """The latest arrival day a partner can honestly send at ``now``: today where the day has
    begun first. Comparing with the UTC date refused Oral's (UTC+5) arrivals of the day between
    midnight and five in the morning."""
    return (now.astimezone(UTC) + EARLIEST_DAYBREAK).date()


def decide(command: RegisterArrival, state: ArrivalState) -> list[DomainEvent]:
    if isinstance(state, Registered):
        return []  # the same arrival registered again changes nothing
    latest = latest_arrival_date(command.now)
    if command.arrival_date > latest:
        raise ArrivalDateInFuture(f"arrival_date {command.arrival_date} is after today ({latest})")
    person_ids = [member.person_id for member in command.members]
    if len(set(person_ids)) != len(person_ids):
        raise DuplicatePersonInArrival("a person appears twice in one arrival")
    return [
        ArrivalRegistered(
            actor=f"partner:{command.partner_id}",
            occurred_at=command.now,
            arrival_id=command.arrival_id,
            partner_id=command.partner_id,
            members=command.members,
            keep_together=command.keep_together and len(command.members) > 1,
            arrival_date=command.arrival_date,
            crossing_point=command.crossing_point,
            consents=command.consents,
        )
    ]


def evolve(state: ArrivalState, event: DomainEvent) -> ArrivalState:
    if isinstance(event, ArrivalRegistered):
        return Registered(
            partner_id=event.partner_id,
            person_ids=frozenset(member.person_id for member in event.members),
        )
    return state


arrival: Decider[RegisterArrival, ArrivalState] = Decider(NotRegistered(), decide, evolve)
