"""Which shelters to ask for a party's places, best first. The ranking only suggests: the
shelter's decider (services/housing/domain/placement.py) has the last word and picks the units
inside the shelter by the same preferences, so the shelter asked first is the one it would
fill best."""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from services.housing.domain.fit import offers_what_is_needed, unneeded_features
from services.housing.domain.shelter_state import takes_people
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


def rank_shelters(
    offers: Iterable[UnitsOnOffer], size: int, needs: Requirements, day: date, limit: int
) -> list[UUID]:
    """The shelters that take people on ``day`` and have ``size`` free places in units that
    fit, best first: one with a unit that takes the whole party; then the plainest (special
    rooms are kept for those who need them); then the fullest (big rooms stay free for big
    groups). At most ``limit``."""
    fitting: dict[UUID, list[UnitsOnOffer]] = {}
    for offer in offers:
        taken_in = takes_people(offer.shelter_status, offer.period, day)
        if taken_in and offer.free > 0 and offers_what_is_needed(offer.attributes, needs):
            fitting.setdefault(offer.shelter_id, []).append(offer)

    def preference(shelter_id: UUID) -> tuple[bool, int, int, UUID]:
        shelter = fitting[shelter_id]
        return (
            not any(offer.most_in_one_unit >= size for offer in shelter),
            min(unneeded_features(offer.attributes, needs) for offer in shelter),
            sum(offer.free for offer in shelter),
            shelter_id,
        )

    roomy = [shelter_id for shelter_id, shelter in fitting.items()
             if sum(offer.free for offer in shelter) >= size]  # fmt: skip
    return sorted(roomy, key=preference)[:limit]
