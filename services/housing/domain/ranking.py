"""Which shelters to ask for a party's places, best first. The ranking only suggests: the
shelter's decider (services/housing/domain/placement.py) has the last word and picks the units
inside the shelter by the same preferences, so the shelter asked first is the one it would
fill best."""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from services.housing.domain.fit import offers_what_is_needed, unneeded_features
from services.housing.domain.shelter_state import Shelter, takes_people
from shared.schemas.shelters import Requirements, UnitAttribute


@dataclass(frozen=True)
class UnitsOnOffer:
    """A shelter's units of one kind (the same attributes) that have free places: how many in
    all, and the most that one of them has; with whether the shelter takes people."""

    shelter_id: UUID
    shelter_status: str
    period: tuple[date, date] | None
    free: int
    most_in_one_unit: int
    attributes: AbstractSet[UnitAttribute]


def offers_of(shelter_id: UUID, state: Shelter) -> list[UnitsOnOffer]:
    """What a shelter has free, per kind of unit, as its state says (the read model's
    units_with_free_places, for a shelter decided on in this transaction: arrival_run)."""
    kinds: dict[frozenset[UnitAttribute], list[int]] = {}
    for unit_id, unit in state.units.items():
        free = state.beds.free_count(unit_id, unit.places)
        if free > 0:
            kinds.setdefault(frozenset(unit.attributes), []).append(free)
    return [
        UnitsOnOffer(shelter_id, state.status, state.period, sum(free), max(free), attributes)
        for attributes, free in kinds.items()
    ]


def _by_shelter(offers: Iterable[UnitsOnOffer]) -> dict[UUID, list[UnitsOnOffer]]:
    """The offers grouped by shelter (one decided on is offered again alone)."""
    found: dict[UUID, list[UnitsOnOffer]] = {}
    for offer in offers:
        found.setdefault(offer.shelter_id, []).append(offer)
    return found


#: a shelter as the ranking orders those that fit one kind of party: its fewest unneeded
#: features, its free places (the fullest first), its id (the UUID's int orders as the UUID
#: does, and is unique: the tuples never compare further), the most free in one unit
_Standing = tuple[int, int, int, int, UUID]


class Ranking:
    """The shelters to ask for a party's places, best first, from the town's offers on one
    day, as the placements of a run change them: one with a unit that takes the whole party;
    then the plainest (special rooms are kept for those who need them); then the fullest (big
    rooms stay free for big groups).

    Each kind of party (its needs) gets the fitting shelters sorted once, the first time one
    asks, and each shelter decided on is moved in every such list: a party walks its list from
    the start to its first ``limit`` shelters with a unit that takes it. Ranking every party
    on all of the town's offers cost a pass over them each (6 ms at 7,500 offers), and the
    offers grow with the town: at 300,000 people housing fell behind the arrivals."""

    def __init__(self, offers: Iterable[UnitsOnOffer], day: date) -> None:
        self.day = day
        self._offers = _by_shelter(offers)
        self._ranked: dict[Requirements, list[_Standing]] = {}
        self._standing: dict[Requirements, dict[UUID, _Standing]] = {}

    @property
    def offers(self) -> list[UnitsOnOffer]:
        return [offer for offers in self._offers.values() for offer in offers]

    def replace(self, shelter_id: UUID, offers: list[UnitsOnOffer]) -> None:
        """The shelter's free units are now ``offers``."""
        self._offers[shelter_id] = offers
        for needs, ranked in self._ranked.items():
            old = self._standing[needs].pop(shelter_id, None)
            if old is not None:
                del ranked[bisect_left(ranked, old)]
            new = self._stand(shelter_id, offers, needs)
            if new is not None:
                insort(ranked, new)
                self._standing[needs][shelter_id] = new

    def best(self, size: int, needs: Requirements, limit: int) -> list[UUID]:
        """The first ``limit`` shelters with ``size`` free places in units that fit."""
        whole: list[UUID] = []  # a unit takes the whole party
        spread: list[UUID] = []  # the party fits only over several units
        for _, free, _, most, shelter_id in self._ranked_for(needs):
            if free < size:
                continue
            if most >= size:
                whole.append(shelter_id)
                if len(whole) == limit:
                    break
            elif len(spread) < limit:
                spread.append(shelter_id)
        return (whole + spread)[:limit]

    def _ranked_for(self, needs: Requirements) -> list[_Standing]:
        ranked = self._ranked.get(needs)
        if ranked is None:
            standing = {
                shelter_id: found
                for shelter_id, offers in self._offers.items()
                if (found := self._stand(shelter_id, offers, needs)) is not None
            }
            ranked = self._ranked[needs] = sorted(standing.values())
            self._standing[needs] = standing
        return ranked

    def _stand(
        self, shelter_id: UUID, offers: list[UnitsOnOffer], needs: Requirements
    ) -> _Standing | None:
        """Where the shelter stands for parties with ``needs``; None if it has nothing for
        them."""
        free, most, plainness = 0, 0, None
        for offer in offers:
            taken_in = takes_people(offer.shelter_status, offer.period, self.day)
            if taken_in and offer.free > 0 and offers_what_is_needed(offer.attributes, needs):
                unneeded = unneeded_features(offer.attributes, needs)
                free, most = free + offer.free, max(most, offer.most_in_one_unit)
                plainness = unneeded if plainness is None else min(plainness, unneeded)
        if plainness is None:
            return None
        return plainness, free, shelter_id.int, most, shelter_id


def rank_shelters(
    offers: Iterable[UnitsOnOffer], size: int, needs: Requirements, day: date, limit: int
) -> list[UUID]:
    """The shelters that take people on ``day`` and have ``size`` free places in units that
    fit, best first, at most ``limit`` (Ranking, for one party)."""
    return Ranking(offers, day).best(size, needs, limit)


@dataclass(frozen=True)
class WhatFits:
    """What a waiting person must be for their party to fit a unit of those on offer: needed,
    not enough (the rest of their party counts too). In a party of at most ``people``; needing
    an accessible place only if one is on offer (``accessible``), a family room only if one is
    (``family_room``); a woman, unless a unit on offer takes men (``men``)."""

    people: int
    accessible: bool
    family_room: bool
    men: bool


def what_fits(offers: Iterable[UnitsOnOffer], day: date) -> WhatFits:
    """What fits ``offers`` that take people on ``day``: each need asked of a party of women,
    whom every unit takes, so that only that need decides."""
    open_ = [o for o in offers if o.free > 0 and takes_people(o.shelter_status, o.period, day)]

    def offered(needs: Requirements) -> bool:
        return any(offers_what_is_needed(offer.attributes, needs) for offer in open_)

    return WhatFits(
        people=sum(offer.free for offer in open_),
        accessible=offered(Requirements(accessible=True, all_women=True)),
        family_room=offered(Requirements(family_room=True, all_women=True)),
        men=offered(Requirements()),
    )
