"""The shelter decides on its own places, so no unit ever holds more people than its places
and no place two people, under any concurrency: a second writer conflicts and decides again.

A place is held for a person (until check-in or expiry), then taken at check-in, and freed at
check-out, on release, or when the hold expires. Host offers are shelters too: offered by a
host network, open for placements only once verified and within their period.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import cached_property
from types import MappingProxyType
from typing import Literal, TypedDict
from uuid import UUID

from services.housing.domain.beds import Beds, Place, PlaceKey
from services.housing.domain.fit import fits, surplus
from services.housing.events import PersonMoved
from shared.decider import Decider, DomainError
from shared.schemas.base import DomainEvent
from shared.schemas.housing import (
    BedAssigned,
    BedReleased,
    HoldExpired,
    HostOfferMade,
    HostOfferVerified,
    HostOfferWithdrawn,
    PersonCheckedIn,
    PersonCheckedOut,
    PlaceFreedOnConsentWithdrawal,
    ReleaseReason,
    Requirements,
    ShelterClosed,
    ShelterKind,
    ShelterOpened,
    ShelterReopened,
    Unit,
    UnitAdded,
    UnitCapacityChanged,
)

# --- commands ----------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenShelter:
    shelter_id: UUID
    name: str
    kind: ShelterKind
    district: str
    contact_partner_id: str | None
    max_nights: int | None
    units: tuple[Unit, ...]
    actor: str
    now: datetime


@dataclass(frozen=True)
class OfferHostPlace:
    shelter_id: UUID
    partner_id: str
    district: str
    unit: Unit
    available_from: date
    available_until: date
    actor: str
    now: datetime


@dataclass(frozen=True)
class VerifyHostOffer:
    shelter_id: UUID
    actor: str
    now: datetime


@dataclass(frozen=True)
class WithdrawHostOffer:
    shelter_id: UUID
    actor: str
    now: datetime


@dataclass(frozen=True)
class AddUnit:
    shelter_id: UUID
    unit: Unit
    actor: str
    now: datetime


@dataclass(frozen=True)
class ChangeCapacity:
    shelter_id: UUID
    unit_id: UUID
    places: int
    actor: str
    now: datetime


@dataclass(frozen=True)
class CloseShelter:
    shelter_id: UUID
    reopen: bool
    actor: str
    now: datetime


@dataclass(frozen=True)
class AssignPlaces:
    """Hold places here for people of one arrival: in one unit if one fits them all, else
    spread over this shelter's fitting units; all or none."""

    shelter_id: UUID
    arrival_id: UUID
    person_ids: tuple[UUID, ...]
    requirements: Requirements
    hold_until: datetime
    actor: str
    now: datetime


@dataclass(frozen=True)
class CheckIn:
    shelter_id: UUID
    person_id: UUID
    actor: str
    now: datetime


@dataclass(frozen=True)
class CheckOut:
    shelter_id: UUID
    person_id: UUID
    reason: Literal["left", "stay_ended"]
    actor: str
    now: datetime


@dataclass(frozen=True)
class Release:
    """Free whatever place the person has here, held or taken (departure, merge, move)."""

    shelter_id: UUID
    person_id: UUID
    reason: ReleaseReason
    actor: str
    now: datetime
    moved: bool = False  # by an operator: recorded as a move (its reason stays out of events)


@dataclass(frozen=True)
class FreeWithoutConsent:
    """The person withdrew their consent to housing: free their place here, held or taken."""

    shelter_id: UUID
    person_id: UUID
    actor: str
    now: datetime


@dataclass(frozen=True)
class ExpireHolds:
    shelter_id: UUID
    actor: str
    now: datetime


ShelterCommand = (
    OpenShelter | OfferHostPlace | VerifyHostOffer | WithdrawHostOffer | AddUnit
    | ChangeCapacity | CloseShelter | AssignPlaces | CheckIn | CheckOut | Release | ExpireHolds
    | FreeWithoutConsent
)  # fmt: skip

# --- state -------------------------------------------------------------------------------


class Stamp(TypedDict):
    """What every shelter event records: who, when, which shelter."""

    actor: str
    occurred_at: datetime
    shelter_id: UUID


@dataclass(frozen=True)
class Shelter:
    status: Literal["unknown", "offered", "open", "closed", "withdrawn"] = "unknown"
    kind: ShelterKind | None = None
    max_nights: int | None = None
    period: tuple[date, date] | None = None
    units: Mapping[UUID, Unit] = field(default_factory=lambda: MappingProxyType({}))
    beds: Beds = field(default_factory=Beds)

    @cached_property
    def places(self) -> Mapping[PlaceKey, Place]:
        """Every place held or taken, in the order they were held; built when first asked (a
        placement never asks: it reads ``beds``)."""
        return MappingProxyType(self.beds.in_order())

    def taken(self, unit_id: UUID) -> list[int]:
        return list(self.beds.taken(unit_id))

    def free_numbers(self, unit_id: UUID) -> list[int]:
        places = self.units[unit_id].places
        return self.beds.lowest_free(unit_id, places, places)

    def place_of(self, person_id: UUID) -> tuple[PlaceKey, Place] | None:
        return self.beds.place_of(person_id)

    def accepts(self, day: date) -> bool:
        if self.status != "open":
            return False
        return self.period is None or self.period[0] <= day <= self.period[1]


class ShelterNotOpen(DomainError):
    pass


class NoFittingPlace(DomainError):
    pass


class NotHere(DomainError):
    pass


class CapacityRefused(DomainError):
    pass


# --- decide ------------------------------------------------------------------------------


def decide(command: ShelterCommand, state: Shelter) -> list[DomainEvent]:
    at: Stamp = {
        "actor": command.actor,
        "occurred_at": command.now,
        "shelter_id": command.shelter_id,
    }
    if isinstance(command, OpenShelter | OfferHostPlace):
        if state.status != "unknown":
            raise DomainError(f"shelter {command.shelter_id} exists already")
        return [_opening(command)]
    if state.status == "unknown":
        raise ShelterNotOpen(f"no shelter {command.shelter_id}")
    if isinstance(command, VerifyHostOffer):
        if state.status != "offered":
            return []  # verified (or withdrawn) already
        return [HostOfferVerified(**at)]
    if isinstance(command, WithdrawHostOffer):
        if state.status == "withdrawn":
            return []
        released = [
            _free(state, key, place, "offer_withdrawn", at) for key, place in state.places.items()
        ]
        return [HostOfferWithdrawn(**at), *released]
    if isinstance(command, AddUnit):
        if command.unit.unit_id in state.units:
            return []
        return [UnitAdded(**at, unit=command.unit)]
    if isinstance(command, ChangeCapacity):
        return _capacity(command, state, at)
    if isinstance(command, CloseShelter):
        wanted = "open" if command.reopen else "closed"
        if state.status not in ("open", "closed") or state.status == wanted:
            return []
        return [ShelterReopened(**at) if command.reopen else ShelterClosed(**at)]
    if isinstance(command, AssignPlaces):
        return _assign(command, state, at)
    found = state.place_of(command.person_id) if not isinstance(command, ExpireHolds) else None
    if isinstance(command, CheckIn):
        if found is None:
            raise NotHere(f"person {command.person_id} holds no place in this shelter")
        (unit_id, number), place = found
        if place.checked_in:
            return []
        return [PersonCheckedIn(**at, unit_id=unit_id, bed_number=number,
                                person_id=command.person_id)]  # fmt: skip
    if isinstance(command, CheckOut):
        if found is None or not found[1].checked_in:
            raise NotHere(f"person {command.person_id} is not checked in here")
        return [_free(state, found[0], found[1], command.reason, at)]
    if isinstance(command, FreeWithoutConsent):
        if found is None:
            return []
        (unit_id, number), place = found
        return [PlaceFreedOnConsentWithdrawal(**at, unit_id=unit_id, bed_number=number,
                person_id=command.person_id, checked_in=place.checked_in)]  # fmt: skip
    if isinstance(command, Release):
        if found is None:
            return []
        freed = [_free(state, found[0], found[1], command.reason, at)]
        if command.moved:
            freed.append(PersonMoved(**at, person_id=command.person_id))
        return freed
    return [
        HoldExpired(**at, unit_id=unit_id, bed_number=number, person_id=place.person_id)
        for (unit_id, number), place in state.beds.expired(command.now)
    ]


def _opening(command: OpenShelter | OfferHostPlace) -> DomainEvent:
    if isinstance(command, OpenShelter):
        return ShelterOpened(
            actor=command.actor, occurred_at=command.now, shelter_id=command.shelter_id,
            name=command.name, kind=command.kind, district=command.district,
            contact_partner_id=command.contact_partner_id, max_nights=command.max_nights,
            units=command.units,
        )  # fmt: skip
    if command.available_until < command.available_from:
        raise DomainError("available_until comes before available_from")
    return HostOfferMade(
        actor=command.actor, occurred_at=command.now, shelter_id=command.shelter_id,
        partner_id=command.partner_id, district=command.district, unit=command.unit,
        available_from=command.available_from, available_until=command.available_until,
    )  # fmt: skip


FreeReason = Literal["left", "stay_ended", "departed", "merged", "offer_withdrawn", "moved"]


def _free(
    state: Shelter, key: PlaceKey, place: Place, reason: FreeReason, at: Stamp
) -> DomainEvent:
    unit_id, number = key
    if place.checked_in:
        return PersonCheckedOut(**at, unit_id=unit_id, bed_number=number,
                                person_id=place.person_id, reason=reason)  # fmt: skip
    if reason == "left" or reason == "stay_ended":
        raise NotHere("a place that was only held is released, not checked out")
    return BedReleased(**at, unit_id=unit_id, bed_number=number,
                       person_id=place.person_id, reason=reason)  # fmt: skip


def _capacity(command: ChangeCapacity, state: Shelter, at: Stamp) -> list[DomainEvent]:
    unit = state.units.get(command.unit_id)
    if unit is None:
        raise NotHere(f"no unit {command.unit_id} in this shelter")
    if unit.places == command.places:
        return []
    beyond = [number for number in state.taken(command.unit_id) if number > command.places]
    if beyond:
        raise CapacityRefused(
            f"places {sorted(beyond)} of the unit are taken; move those people first"
        )
    return [UnitCapacityChanged(**at, unit_id=command.unit_id, places=command.places)]


def _assign(command: AssignPlaces, state: Shelter, at: Stamp) -> list[DomainEvent]:
    if not state.accepts(command.now.date()):
        raise ShelterNotOpen(f"shelter {command.shelter_id} takes nobody now")
    people = [person for person in command.person_ids if not state.beds.holds(person)]
    if not people:
        return []
    needs = command.requirements
    # counts, not lists of numbers: the numbers are looked up only for the units chosen
    free = {
        uid: state.beds.free_count(uid, unit.places)
        for uid, unit in state.units.items()
        if fits(unit, needs)
    }

    def plainness(uid: UUID) -> int:
        return surplus(state.units[uid], needs)

    def lowest(uid: UUID, count: int) -> list[PlaceKey]:
        numbers = state.beds.lowest_free(uid, state.units[uid].places, count)
        return [(uid, number) for number in numbers]

    # one unit if any takes them all: the plainest, then the fullest that does (keeps special
    # rooms for those who need them, big rooms for big groups)
    whole = sorted(
        (plainness(uid), count, str(uid)) for uid, count in free.items() if count >= len(people)
    )
    if whole:
        places = lowest(UUID(whole[0][2]), len(people))
    elif sum(free.values()) >= len(people):
        spread = sorted(free, key=lambda uid: (plainness(uid), -free[uid], str(uid)))
        places = []
        for uid in spread:
            places += lowest(uid, len(people) - len(places))
    else:
        raise NoFittingPlace(
            f"no {len(people)} fitting free place(s) in shelter {command.shelter_id}"
        )
    return [
        BedAssigned(
            **at,
            unit_id=unit_id,
            bed_number=number,
            person_id=person,
            arrival_id=command.arrival_id,
            hold_until=command.hold_until,
        )
        for person, (unit_id, number) in zip(people, places, strict=True)
    ]


# --- evolve ------------------------------------------------------------------------------


def evolve(state: Shelter, event: DomainEvent) -> Shelter:
    if isinstance(event, ShelterOpened):
        return Shelter(
            status="open", kind=event.kind, max_nights=event.max_nights,
            units=MappingProxyType({unit.unit_id: unit for unit in event.units}),
        )  # fmt: skip
    if isinstance(event, HostOfferMade):
        return Shelter(
            status="offered", kind=ShelterKind.HOST_HOME,
            period=(event.available_from, event.available_until),
            units=MappingProxyType({event.unit.unit_id: event.unit}),
        )  # fmt: skip
    if isinstance(event, HostOfferVerified | ShelterReopened):
        return replace(state, status="open")
    if isinstance(event, HostOfferWithdrawn):
        return replace(state, status="withdrawn")
    if isinstance(event, ShelterClosed):
        return replace(state, status="closed")
    if isinstance(event, UnitAdded):
        return replace(
            state, units=MappingProxyType({**state.units, event.unit.unit_id: event.unit})
        )
    if isinstance(event, UnitCapacityChanged):
        unit = state.units[event.unit_id].model_copy(update={"places": event.places})
        return replace(state, units=MappingProxyType({**state.units, event.unit_id: unit}))
    if isinstance(event, BedAssigned):
        place = Place(event.person_id, event.arrival_id, False, event.hold_until, event.occurred_at)
        return replace(state, beds=state.beds.hold((event.unit_id, event.bed_number), place))
    if isinstance(event, PersonCheckedIn):
        key = (event.unit_id, event.bed_number)
        return replace(state, beds=state.beds.check_in(key, event.occurred_at))
    if isinstance(event, PersonCheckedOut | BedReleased | HoldExpired
                  | PlaceFreedOnConsentWithdrawal):  # fmt: skip
        return replace(state, beds=state.beds.free((event.unit_id, event.bed_number)))
    return state


shelter: Decider[ShelterCommand, Shelter] = Decider(Shelter(), decide, evolve)
