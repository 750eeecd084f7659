"""Shelters and their units with their free, held and occupied places: one read model, one fold
(shared.folds) that the live projection and the rebuild both run, so the two cannot drift
apart. A unit never counts more people than places: its table's CHECK refuses."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, get_args
from uuid import UUID

from services.housing.events import ShelterDescribed
from services.housing.placement_rows import FreedPlace, freeing
from shared.folds import Change, Put, Read, ReadModel, Recorded, Rows, Table
from shared.schemas.base import DomainEvent
from shared.schemas.housing import (
    BedAssigned,
    HostOfferMade,
    HostOfferVerified,
    HostOfferWithdrawn,
    PersonCheckedIn,
    ShelterClosed,
    ShelterOpened,
    ShelterReopened,
    UnitAdded,
    UnitCapacityChanged,
)

ShelterStatusChange = HostOfferVerified | ShelterReopened | ShelterClosed | HostOfferWithdrawn
SHELTER_STATUS_AFTER: dict[type[DomainEvent], str] = {
    HostOfferVerified: "open", ShelterReopened: "open", ShelterClosed: "closed",
    HostOfferWithdrawn: "withdrawn",
}  # fmt: skip
ShelterNew = ShelterOpened | HostOfferMade | UnitAdded


@dataclass(frozen=True, slots=True)
class Shelter:
    shelter_id: UUID
    name: str
    kind: str
    district: str
    status: str
    contact_partner_id: str | None
    host_partner_id: str | None
    max_nights: int | None
    available_from: date | None
    available_until: date | None
    opened_at: datetime
    code: str | None


@dataclass(frozen=True, slots=True)
class Unit:
    unit_id: UUID
    shelter_id: UUID
    name: str
    places: int
    attributes: list[str]
    languages: list[str]
    code: str | None
    held: int = 0
    occupied: int = 0


SHELTERS = Table("shelters", Shelter, ("shelter_id",))
UNITS = Table("units", Unit, ("unit_id",))


def shelter_of(event: ShelterOpened | HostOfferMade) -> Shelter:
    """A shelter as opened, or a host's home as offered (it opens once verified); unnamed and
    nowhere until the ShelterDescribed beside it says (the topic carries neither)."""
    if isinstance(event, ShelterOpened):
        return Shelter(
            event.shelter_id, "", event.kind.value, "", "open",
            event.contact_partner_id, None, event.max_nights, None, None, event.occurred_at,
            event.code,
        )  # fmt: skip
    return Shelter(
        event.shelter_id, "", "host_home", "", "offered", None, event.partner_id, None,
        event.available_from, event.available_until, event.occurred_at, None,
    )  # fmt: skip


def units_of(event: ShelterNew) -> list[Unit]:
    """The units an event brings, unnamed (their codes are public), none of their places held
    or occupied yet."""
    units = event.units if isinstance(event, ShelterOpened) else (event.unit,)
    return [
        Unit(unit.unit_id, event.shelter_id, "", unit.places,
             [attribute.value for attribute in unit.attributes], list(unit.languages), unit.code)
        for unit in units
    ]  # fmt: skip


def shelter_name(event: ShelterDescribed, host_partner_id: str | None, district: str) -> str:
    """A shelter's name: as the operator gave it, or a host's home named by its network."""
    if event.name is not None:
        return event.name
    return f"Host home ({host_partner_id}), {district}"


def places_change(event: DomainEvent) -> tuple[UUID, int, int] | None:
    """(unit_id, held, occupied): how an event changes a unit's held and occupied places."""
    if isinstance(event, BedAssigned):
        return event.unit_id, 1, 0
    if isinstance(event, PersonCheckedIn):
        return event.unit_id, -1, 1
    if isinstance(event, FreedPlace):
        freed = freeing(event)
        return event.unit_id, freed.held, freed.occupied
    return None


def shelter_reads(event: DomainEvent) -> Sequence[Read]:
    if isinstance(event, ShelterNew):
        unit_ids = tuple(unit.unit_id for unit in units_of(event))
        shelter = (
            ()
            if isinstance(event, UnitAdded)
            else (Read(SHELTERS, "shelter_id", (event.shelter_id,)),)
        )
        return (*shelter, Read(UNITS, "unit_id", unit_ids))
    if isinstance(event, ShelterDescribed):
        named = tuple(named.unit_id for named in event.unit_names)
        return (Read(SHELTERS, "shelter_id", (event.shelter_id,)), Read(UNITS, "unit_id", named))
    if isinstance(event, ShelterStatusChange):
        return (Read(SHELTERS, "shelter_id", (event.shelter_id,)),)
    if isinstance(event, UnitCapacityChanged):
        return (Read(UNITS, "unit_id", (event.unit_id,)),)
    if change := places_change(event):
        return (Read(UNITS, "unit_id", (change[0],)),)
    return ()


def fold_shelter(recorded: Recorded, rows: Rows) -> list[Change]:
    """A shelter and its units after an event: opened or offered, described, opened or closed,
    resized, or a place in one of its units held, taken or freed."""
    event = recorded.event
    if isinstance(event, ShelterNew):
        opened: list[tuple[Table[Any], Any]] = (
            [] if isinstance(event, UnitAdded) else [(SHELTERS, shelter_of(event))]
        )
        opened += [(UNITS, unit) for unit in units_of(event)]
        # a shelter or unit is as first opened: a replayed event changes nothing
        return [
            Put(table, row) for table, row in opened if rows.get(table, table.key_of(row)) is None
        ]
    if isinstance(event, ShelterDescribed):
        return _described(event, rows)
    if isinstance(event, ShelterStatusChange):
        shelter = rows.get(SHELTERS, event.shelter_id)
        status = SHELTER_STATUS_AFTER[type(event)]
        return [Put(SHELTERS, replace(shelter, status=status))] if shelter else []
    if isinstance(event, UnitCapacityChanged):
        unit = rows.get(UNITS, event.unit_id)
        return [Put(UNITS, replace(unit, places=event.places))] if unit else []
    if change := places_change(event):
        unit_id, held, occupied = change
        if unit := rows.get(UNITS, unit_id):
            return [
                Put(UNITS, replace(unit, held=unit.held + held, occupied=unit.occupied + occupied))
            ]
    return []


def _described(event: ShelterDescribed, rows: Rows) -> list[Change]:
    changes: list[Change] = []
    shelter = rows.get(SHELTERS, event.shelter_id)
    if shelter is not None and (event.name is not None or event.district is not None):
        district = shelter.district if event.district is None else event.district
        name = shelter_name(event, shelter.host_partner_id, district)
        changes.append(Put(SHELTERS, replace(shelter, name=name, district=district)))
    for named in event.unit_names:
        if unit := rows.get(UNITS, named.unit_id):
            changes.append(Put(UNITS, replace(unit, name=named.name)))
    return changes


SHELTER_MODEL = ReadModel(
    (SHELTERS, UNITS),
    (*get_args(ShelterNew), ShelterDescribed, *get_args(ShelterStatusChange), UnitCapacityChanged,
     BedAssigned, PersonCheckedIn, *get_args(FreedPlace)),
    shelter_reads,
    fold_shelter,
)  # fmt: skip
