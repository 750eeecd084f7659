"""Housing's read models folded in memory from its events and written with COPY: what
projections.project builds one event at a time, built at once for a rebuild (shared.rebuild).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg

from services.housing.events import DepartureBeforeArrival, ShelterDescribed
from services.housing.projections import (
    HISTORY_COLUMNS,
    SHELTER_STATUS_AFTER,
    FreedPlace,
    PersonAlreadyPlaced,
    ShelterStatusChange,
    freeing,
    history_line,
    hold_of,
    places_change,
    waiting_of,
)
from services.housing.shelter_rows import shelter_name, shelter_of, units_of
from services.housing.tombstones import departed, forgotten
from shared.eventstore import RecordedEvent
from shared.rebuild import copy_rows
from shared.schemas.housing import (
    BedAssigned,
    HostOfferMade,
    PersonCheckedIn,
    PersonForgotten,
    PersonLeftWaitlist,
    PersonWaitlisted,
    ShelterOpened,
    UnitAdded,
    UnitCapacityChanged,
)

#: the placements of people who hold a place: a second place for them is refused
_PLACED = ("held", "checked_in")


@dataclass(slots=True)
class _Shelter:
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


@dataclass(slots=True)
class _Unit:
    unit_id: UUID
    shelter_id: UUID
    name: str
    places: int
    attributes: list[str]
    languages: list[str]
    code: str | None
    held: int = 0
    occupied: int = 0


@dataclass(slots=True)
class _Placement:
    person_id: UUID
    status: str
    since: datetime
    correlation_id: str
    arrival_id: UUID | None = None
    shelter_id: UUID | None = None
    unit_id: UUID | None = None
    bed_number: int | None = None
    hold_until: datetime | None = None
    checked_in_at: datetime | None = None
    reason: str | None = None
    keep_together: bool = False
    priority: bool = False
    needs_accessible: bool = False
    needs_family: bool = False
    all_women: bool = False

    def hold(self, event: BedAssigned) -> None:
        (self.arrival_id, self.shelter_id, self.unit_id, self.bed_number, self.hold_until,
         self.since) = hold_of(event)  # fmt: skip
        self.status, self.reason, self.checked_in_at = "held", None, None

    def wait(self, event: PersonWaitlisted) -> None:
        (self.arrival_id, self.reason, self.since, self.keep_together, self.priority,
         self.needs_accessible, self.needs_family, self.all_women) = waiting_of(event)  # fmt: skip
        self.status = "waiting"


@dataclass
class HousingReadModels:
    """Shelters, their units with held and occupied places, placements, and each person's
    placement history, keyed as their tables are."""

    shelters: dict[UUID, _Shelter] = field(default_factory=dict)
    units: dict[UUID, _Unit] = field(default_factory=dict)
    placements: dict[UUID, _Placement] = field(default_factory=dict)
    history: list[tuple[Any, ...]] = field(default_factory=list)
    #: where each forgotten person was last forgotten: their history before it goes
    forgotten_at: dict[UUID, int] = field(default_factory=dict)

    def apply(self, recorded: RecordedEvent) -> None:
        event = recorded.event
        if isinstance(event, ShelterOpened | HostOfferMade | UnitAdded):
            self._shelter_and_units(event)
        elif isinstance(event, ShelterDescribed):
            self._describe(event)
        elif isinstance(event, ShelterStatusChange):
            if shelter := self.shelters.get(event.shelter_id):
                shelter.status = SHELTER_STATUS_AFTER[type(event)]
        elif isinstance(event, UnitCapacityChanged):
            if unit := self.units.get(event.unit_id):
                unit.places = event.places
        else:
            self._placement(recorded)
        if change := places_change(event):
            unit_id, held, occupied = change
            if unit := self.units.get(unit_id):
                unit.held += held
                unit.occupied += occupied
        if line := history_line(recorded):
            self.history.append(line)

    def _shelter_and_units(self, event: ShelterOpened | HostOfferMade | UnitAdded) -> None:
        if not isinstance(event, UnitAdded):
            self.shelters.setdefault(event.shelter_id, _Shelter(*shelter_of(event)))
        for row in units_of(event):
            self.units.setdefault(row[0], _Unit(*row))

    def _describe(self, event: ShelterDescribed) -> None:
        shelter = self.shelters.get(event.shelter_id)
        if shelter is not None and (event.name is not None or event.district is not None):
            shelter.district = shelter.district if event.district is None else event.district
            shelter.name = shelter_name(event, shelter.host_partner_id, shelter.district)
        for named in event.unit_names:
            if unit := self.units.get(named.unit_id):
                unit.name = named.name

    def _placement(self, recorded: RecordedEvent) -> None:
        event = recorded.event
        if isinstance(event, PersonWaitlisted):
            placement = self.placements.get(event.person_id)
            if placement is None:
                placement = self._new(event.person_id, recorded)
            if placement.status not in _PLACED:
                placement.wait(event)
        elif isinstance(event, BedAssigned):
            placement = self.placements.get(event.person_id)
            if placement is None:
                placement = self._new(event.person_id, recorded)
            elif placement.status in _PLACED:
                raise PersonAlreadyPlaced(f"person {event.person_id} already holds a place")
            placement.hold(event)
        elif isinstance(event, PersonCheckedIn):
            if placement := self.placements.get(event.person_id):
                placement.status, placement.checked_in_at = "checked_in", event.occurred_at
                placement.hold_until = None
        elif isinstance(event, FreedPlace):
            self._free(event)
        elif isinstance(event, PersonForgotten):
            before = self.placements.get(event.person_id)
            status = before.status if before else None
            tombstone = forgotten(event, recorded.correlation_id, status)
            self.placements[event.person_id] = _Placement(*tombstone)
            self.forgotten_at[event.person_id] = recorded.global_position
        elif isinstance(event, DepartureBeforeArrival):
            if event.person_id not in self.placements:  # as the live insert's ON CONFLICT
                person_id, status, reason, since, correlation_id = departed(
                    event, recorded.correlation_id
                )
                self.placements[person_id] = _Placement(
                    person_id, status, since, correlation_id, reason=reason
                )
        elif isinstance(event, PersonLeftWaitlist) and event.reason != "placed":
            placement = self.placements.get(event.person_id)
            if placement and placement.status == "waiting":
                placement.status = placement.reason = event.reason
                placement.since = event.occurred_at

    def _new(self, person_id: UUID, recorded: RecordedEvent) -> _Placement:
        # its status is the caller's to say (held or waiting); it keeps the correlation of the
        # event that made it, which later events leave be
        placement = _Placement(person_id, "", recorded.event.occurred_at, recorded.correlation_id)
        self.placements[person_id] = placement
        return placement

    def _free(self, event: FreedPlace) -> None:
        placement = self.placements.get(event.person_id)
        place = (event.unit_id, event.bed_number)
        if placement is None or (placement.unit_id, placement.bed_number) != place:
            return  # the person is elsewhere by now: that place is not theirs to free
        freed = freeing(event)
        placement.status, placement.reason = freed.status, freed.reason
        placement.since = event.occurred_at
        placement.hold_until = placement.checked_in_at = None
        placement.shelter_id = placement.unit_id = placement.bed_number = None

    async def write(self, conn: asyncpg.Connection) -> None:
        await copy_rows(conn, "shelters", self.shelters.values(), _Shelter)
        await copy_rows(conn, "units", self.units.values(), _Unit)
        await copy_rows(conn, "placements", self.placements.values(), _Placement)
        kept = [line for line in self.history if line[1] > self.forgotten_at.get(line[0], -1)]
        await conn.copy_records_to_table("placement_history", records=kept, columns=HISTORY_COLUMNS)
