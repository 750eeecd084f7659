"""The shelter decides on its own places, so no unit ever holds more people than its places
and no place two people, under any concurrency: a second writer conflicts and decides again.

A place is held for a person (until check-in or expiry), then taken at check-in, and freed at
check-out, on release, or when the hold expires. Host offers are shelters too: offered by a
host network, open for placements only once verified and within their period.
"""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType
from typing import Literal

from services.housing.domain.beds import Place, PlaceKey
from services.housing.domain.placement import assign_places

# the commands and the state live in their own modules; their names stay importable from here
from services.housing.domain.shelter_commands import (
    AddUnit,
    AssignPlaces,
    ChangeCapacity,
    CheckIn,
    CheckOut,
    CloseShelter,
    ExpireHolds,
    FreeWithoutConsent,
    OfferHostPlace,
    OpenShelter,
    Release,
    ShelterCommand,
    VerifyHostOffer,
    WithdrawHostOffer,
)
from services.housing.domain.shelter_state import (
    CapacityRefused,
    NoFittingPlace,
    NotHere,
    Shelter,
    ShelterNotOpen,
    Stamp,
    UnitCodeTaken,
)
from services.housing.events import PersonMoved, ShelterDescribed, UnitName
from shared.decision import Decider, DomainError
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
    ShelterClosed,
    ShelterOpened,
    ShelterReopened,
    UnitAdded,
    UnitCapacityChanged,
)
from shared.schemas.shelters import ShelterKind, Unit

__all__ = [
    "AddUnit",
    "AssignPlaces",
    "CapacityRefused",
    "ChangeCapacity",
    "CheckIn",
    "CheckOut",
    "CloseShelter",
    "ExpireHolds",
    "FreeReason",
    "FreeWithoutConsent",
    "NoFittingPlace",
    "NotHere",
    "OfferHostPlace",
    "OpenShelter",
    "Release",
    "Shelter",
    "ShelterCommand",
    "ShelterNotOpen",
    "Stamp",
    "UnitCodeTaken",
    "VerifyHostOffer",
    "WithdrawHostOffer",
    "decide",
    "evolve",
    "shelter",
]


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
        return _opening(command)
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
        _refuse_repeated_codes((command.unit,), tuple(state.units.values()))
        named = (UnitName(unit_id=command.unit.unit_id, name=command.name),)
        return [UnitAdded(**at, unit=command.unit), ShelterDescribed(**at, unit_names=named)]
    if isinstance(command, ChangeCapacity):
        return _capacity(command, state, at)
    if isinstance(command, CloseShelter):
        wanted = "open" if command.reopen else "closed"
        if state.status not in ("open", "closed") or state.status == wanted:
            return []
        return [ShelterReopened(**at) if command.reopen else ShelterClosed(**at)]
    if isinstance(command, AssignPlaces):
        return assign_places(command, state, at)
    return _occupancy(command, state, at)


def _occupancy(
    command: CheckIn | CheckOut | FreeWithoutConsent | Release | ExpireHolds,
    state: Shelter,
    at: Stamp,
) -> list[DomainEvent]:
    """Who holds or leaves which place: check-in and out, release, consent withdrawn, expiry."""
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


def _opening(command: OpenShelter | OfferHostPlace) -> list[DomainEvent]:
    """The opening, and what it is called and where, which stays in housing."""
    at: Stamp = {
        "actor": command.actor,
        "occurred_at": command.now,
        "shelter_id": command.shelter_id,
    }
    if isinstance(command, OpenShelter):
        _refuse_repeated_codes(command.units, ())
        return [
            ShelterOpened(
                **at, kind=command.kind, contact_partner_id=command.contact_partner_id,
                max_nights=command.max_nights, units=command.units, code=command.code,
            ),
            ShelterDescribed(**at, name=command.name, district=command.district,
                             unit_names=command.unit_names),
        ]  # fmt: skip
    if command.available_until < command.available_from:
        raise DomainError("available_until comes before available_from")
    if command.unit.code is not None:
        # a code is posted at a public place's door; a host's home is a private one
        raise DomainError("a host's home has no public code")
    return [
        HostOfferMade(
            **at, partner_id=command.partner_id, unit=command.unit,
            available_from=command.available_from, available_until=command.available_until,
        ),
        ShelterDescribed(**at, district=command.district,
                         unit_names=(UnitName(unit_id=command.unit.unit_id, name="home"),)),
    ]  # fmt: skip


def _refuse_repeated_codes(units: tuple[Unit, ...], existing: tuple[Unit, ...]) -> None:
    """A unit's code tells a person which door in the shelter is theirs: one code, one unit."""
    seen = {unit.code for unit in existing if unit.code is not None}
    for unit in units:
        if unit.code in seen:
            raise UnitCodeTaken(f"unit code {unit.code!r} is taken in this shelter")
        if unit.code is not None:
            seen.add(unit.code)


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
