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
from shared.schemas.housing import Requirements, UnitAttribute


@dataclass(frozen=True)
class UnitOnOffer:
    """A unit with free places, and whether its shelter takes people."""

    shelter_id: UUID
    shelter_status: str
    period: tuple[date, date] | None
    free: int
    attributes: AbstractSet[UnitAttribute]


def rank_shelters(
    units: Iterable[UnitOnOffer], size: int, needs: Requirements, day: date, limit: int
) -> list[UUID]:
    """The shelters that take people on ``day`` and have ``size`` places in units that fit,
    best first: one with a unit that takes the whole party; then the plainest (special rooms
    are kept for those who need them); then the fullest (big rooms stay free for big groups).
    At most ``limit``."""
    fitting: dict[UUID, list[UnitOnOffer]] = {}
    for unit in units:
        taken_in = takes_people(unit.shelter_status, unit.period, day)
        if taken_in and unit.free > 0 and offers_what_is_needed(unit.attributes, needs):
            fitting.setdefault(unit.shelter_id, []).append(unit)

    def preference(shelter_id: UUID) -> tuple[bool, int, int, UUID]:
        shelter = fitting[shelter_id]
        return (
            not any(unit.free >= size for unit in shelter),
            min(unneeded_features(unit.attributes, needs) for unit in shelter),
            sum(unit.free for unit in shelter),
            shelter_id,
        )

    roomy = [shelter_id for shelter_id, shelter in fitting.items()
             if sum(unit.free for unit in shelter) >= size]  # fmt: skip
    return sorted(roomy, key=preference)[:limit]
