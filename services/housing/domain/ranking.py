"""Which shelters to ask for a party's places, best first. The ranking only suggests: the
shelter's decider (services/housing/domain/placement.py) has the last word and picks the units
inside the shelter by the same preferences, so the shelter asked first is the one it would
fill best."""

from __future__ import annotations

import heapq
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


def by_shelter(offers: list[UnitsOnOffer]) -> dict[UUID, list[UnitsOnOffer]]:
    """The offers grouped by shelter (one decided on is offered again alone)."""
    found: dict[UUID, list[UnitsOnOffer]] = {}
    for offer in offers:
        found.setdefault(offer.shelter_id, []).append(offer)
    return found


def rank_shelters(
    offers: Iterable[UnitsOnOffer], size: int, needs: Requirements, day: date, limit: int
) -> list[UUID]:
    """The shelters that take people on ``day`` and have ``size`` free places in units that
    fit, best first: one with a unit that takes the whole party; then the plainest (special
    rooms are kept for those who need them); then the fullest (big rooms stay free for big
    groups). At most ``limit``."""
    # per shelter: free places, the most in one unit, the fewest unneeded features; one pass
    # over the offers and a partial sort (the town's offers are a thousand and more, each party
    # asks for ten): sorting them all on tuples ending in a UUID, compared in Python, was most
    # of a placement's CPU
    fitting: dict[UUID, list[int]] = {}
    for offer in offers:
        taken_in = takes_people(offer.shelter_status, offer.period, day)
        if taken_in and offer.free > 0 and offers_what_is_needed(offer.attributes, needs):
            plainness = unneeded_features(offer.attributes, needs)
            shelter = fitting.get(offer.shelter_id)
            if shelter is None:
                fitting[offer.shelter_id] = [offer.free, offer.most_in_one_unit, plainness]
            else:
                shelter[0] += offer.free
                shelter[1] = max(shelter[1], offer.most_in_one_unit)
                shelter[2] = min(shelter[2], plainness)
    # the UUID's int orders as the UUID does, and is unique: the tuples never compare further
    roomy = (
        (most < size, plainness, free, shelter_id.int, shelter_id)
        for shelter_id, (free, most, plainness) in fitting.items()
        if free >= size
    )
    return [ranked[-1] for ranked in heapq.nsmallest(limit, roomy)]


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
