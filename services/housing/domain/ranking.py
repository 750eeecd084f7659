"""Which shelters to ask for a party's places, best first. The ranking only suggests: the
shelter's decider (services/housing/domain/placement.py) has the last word and picks the units
inside the shelter by the same preferences, so the shelter asked first is the one it would
fill best."""

from __future__ import annotations

import heapq
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


def rank_shelters(
    offers: Iterable[UnitsOnOffer], size: int, needs: Requirements, day: date, limit: int
) -> list[UUID]:
    """The shelters that take people on ``day`` and have ``size`` free places in units that
    fit, best first: one with a unit that takes the whole party; then the plainest (special
    rooms are kept for those who need them); then the fullest (big rooms stay free for big
    groups). At most ``limit``. One pass over the offers, for one party (a run of several
    keeps a Ranking)."""
    standings, ids = _standings(offers, needs, day)
    return _first(standings, ids, size, limit)


#: a shelter's place in the ranking for one kind of party, as one int: its fewest unneeded
#: features, then its free places (the fullest first), then its id (a UUID's int orders as
#: the UUID does, and is unique). One int sorts and bisects in C, where tuples ending in a
#: UUID were compared element by element, in Python for the UUID: a ranking kept on such
#: tuples cost a run of one party twice the pass it replaced (reverted in d61561a)
_FREE_AT = 128
_PLAINNESS_AT = 160
_ID = (1 << _FREE_AT) - 1
_FREE = (1 << (_PLAINNESS_AT - _FREE_AT)) - 1


def _key(plainness: int, free: int, shelter: int) -> int:
    return (plainness << _PLAINNESS_AT) | (free << _FREE_AT) | shelter


@dataclass
class _Standing:
    """Where each shelter with room for one kind of party stands (by its id's int): its key,
    and the most free places in one of its units."""

    keys: dict[int, int]
    most: dict[int, int]


def _standings(
    offers: Iterable[UnitsOnOffer], needs: Requirements, day: date
) -> tuple[_Standing, dict[int, UUID]]:
    """One pass over the offers: per shelter taking people on ``day``, its free places in
    units that fit ``needs``, the most in one of them, its fewest unneeded features.

    Whether a kind of unit fits is asked once per kind (a town has a few kinds and thousands
    of offers), and shelters are told apart by their id's int, whose hash is C's (a UUID's
    hash is a Python call): the pass costs each offer a few lookups."""
    fits: dict[AbstractSet[UnitAttribute], int | None] = {}
    free: dict[int, int] = {}
    most: dict[int, int] = {}
    plainest: dict[int, int] = {}
    ids: dict[int, UUID] = {}
    for offer in offers:
        if offer.free <= 0 or not takes_people(offer.shelter_status, offer.period, day):
            continue
        attributes = offer.attributes
        if attributes not in fits:
            fitting = offers_what_is_needed(attributes, needs)
            fits[attributes] = unneeded_features(attributes, needs) if fitting else None
        plainness = fits[attributes]
        if plainness is None:
            continue
        shelter = offer.shelter_id.int
        if shelter in free:
            free[shelter] += offer.free
            most[shelter] = max(most[shelter], offer.most_in_one_unit)
            plainest[shelter] = min(plainest[shelter], plainness)
        else:
            free[shelter], most[shelter] = offer.free, offer.most_in_one_unit
            plainest[shelter], ids[shelter] = plainness, offer.shelter_id
    keys = {shelter: _key(plainest[shelter], places, shelter) for shelter, places in free.items()}
    return _Standing(keys, most), ids


def _first(standing: _Standing, ids: dict[int, UUID], size: int, limit: int) -> list[UUID]:
    """The best ``limit`` in one pass and a partial sort (a party asks for ten of thousands)."""
    roomy = (
        (standing.most[shelter] < size, key)
        for shelter, key in standing.keys.items()
        if (key >> _FREE_AT) & _FREE >= size
    )
    return [ids[key & _ID] for _, key in heapq.nsmallest(limit, roomy)]


@dataclass
class _Kept:
    """The ranking of one kind of party kept across a run: where each shelter stands, and all
    of them sorted once a second party of that kind asks."""

    standing: _Standing
    ranked: list[int] | None = None


class Ranking:
    """``rank_shelters`` for each party of a run, on the town's offers on one day as the
    run's placements change them.

    Ranking every party on all the offers cost a pass over them each (6 ms at 7,500 offers,
    and the offers grow with the town). Here the first party of a kind (its needs) pays that
    pass, no more, so that a run of one party costs no more than before; the second
    sorts the shelters that fit that kind, once; from then on a party walks the sorted keys
    from its first shelter with enough free places to its ``limit``-th with a unit that takes
    it whole. A shelter decided on is moved in each kind's ranking (``replace``)."""

    def __init__(self, offers: Iterable[UnitsOnOffer], day: date) -> None:
        self.day = day
        self._offers = list(offers)
        #: the free units of shelters decided on, by their id's int (their first offers left)
        self._replaced: dict[int, list[UnitsOnOffer]] = {}
        self._ids: dict[int, UUID] = {}
        self._kept: dict[Requirements, _Kept] = {}

    @property
    def offers(self) -> list[UnitsOnOffer]:
        """The free units as the run leaves them."""
        replaced = self._replaced
        kept = [offer for offer in self._offers if offer.shelter_id.int not in replaced]
        return kept + [offer for offers in replaced.values() for offer in offers]

    def best(self, size: int, needs: Requirements, limit: int) -> list[UUID]:
        """The first ``limit`` shelters with ``size`` free places in units that fit ``needs``,
        in ``rank_shelters``' order."""
        kept = self._kept.get(needs)
        if kept is None:
            standing, ids = _standings(self.offers, needs, self.day)
            self._ids.update(ids)
            self._kept[needs] = _Kept(standing)
            return _first(standing, self._ids, size, limit)
        if kept.ranked is None:
            kept.ranked = sorted(kept.standing.keys.values())
        return self._walk(kept, size, limit)

    def replace(self, shelter_id: UUID, offers: list[UnitsOnOffer]) -> None:
        """The shelter's free units are now ``offers`` (a placement in it left them)."""
        shelter = shelter_id.int
        self._replaced[shelter] = offers
        for needs, kept in self._kept.items():
            old = kept.standing.keys.pop(shelter, None)
            kept.standing.most.pop(shelter, None)
            if old is not None and kept.ranked is not None:
                del kept.ranked[bisect_left(kept.ranked, old)]
            standing, ids = _standings(offers, needs, self.day)
            if shelter in standing.keys:
                key = kept.standing.keys[shelter] = standing.keys[shelter]
                kept.standing.most[shelter] = standing.most[shelter]
                self._ids.update(ids)
                if kept.ranked is not None:
                    insort(kept.ranked, key)

    def _walk(self, kept: _Kept, size: int, limit: int) -> list[UUID]:
        """Each plainness in turn, from its first shelter with ``size`` free places (found by
        bisection: the fuller ones before it cannot take the party) to its last."""
        assert kept.ranked is not None
        ranked, most = kept.ranked, kept.standing.most
        whole: list[UUID] = []  # a unit takes the whole party
        spread: list[UUID] = []  # the party fits only over several units
        at = 0
        while at < len(ranked):
            plainness = ranked[at] >> _PLAINNESS_AT
            at = bisect_left(ranked, _key(plainness, size, 0), at)
            end = bisect_left(ranked, _key(plainness + 1, 0, 0), at)
            for index in range(at, end):
                shelter = ranked[index] & _ID
                if most[shelter] >= size:
                    whole.append(self._ids[shelter])
                    if len(whole) == limit:
                        return whole
                elif len(spread) < limit:
                    spread.append(self._ids[shelter])
            at = end
        return (whole + spread)[:limit]


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
