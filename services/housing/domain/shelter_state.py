"""A shelter's state as its decisions see it (status, units, who holds which place), the stamp
every shelter event carries, and the refusals a shelter answers with."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from types import MappingProxyType
from typing import Literal, TypedDict
from uuid import UUID

from services.housing.domain.beds import Beds, Place, PlaceKey
from shared.decision import DomainError
from shared.schemas.shelters import ShelterKind, Unit


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
        return takes_people(self.status, self.period, day)


def takes_people(status: str, period: tuple[date, date] | None, day: date) -> bool:
    """Whether a shelter takes people on ``day``: open, and (a host's home) on offer then."""
    return status == "open" and (period is None or period[0] <= day <= period[1])


class ShelterNotOpen(DomainError):
    pass


class NoFittingPlace(DomainError):
    pass


class NotHere(DomainError):
    pass


class CapacityRefused(DomainError):
    pass


class UnitCodeTaken(DomainError):
    """Another unit of the shelter has the code already."""
