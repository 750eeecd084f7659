"""Where each person is (or waits), and each person's placement history: two read models, each
one fold (shared.folds) that the live projection and the rebuild both run.

A person never holds two places: the fold refuses a second hold (PersonAlreadyPlaced), so the
append that would give one does not commit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import get_args
from uuid import UUID

from services.housing.events import DepartureBeforeArrival, PersonMoved
from services.housing.tombstones import departed, forgotten
from shared.folds import Change, Delete, Put, Read, ReadModel, Recorded, Rows, Table
from shared.schemas.base import DomainEvent
from shared.schemas.housing import (
    BedAssigned,
    BedReleased,
    HoldExpired,
    PersonCheckedIn,
    PersonCheckedOut,
    PersonForgotten,
    PersonLeftWaitlist,
    PersonWaitlisted,
    PlaceFreedOnConsentWithdrawal,
)

#: a place freed, by whatever occasion
FreedPlace = PersonCheckedOut | BedReleased | HoldExpired | PlaceFreedOnConsentWithdrawal
#: the placements of people who hold a place: a second place for them is refused
_PLACED = ("held", "checked_in")
_STATUS_AFTER_FREEING = {
    "left": "checked_out", "stay_ended": "checked_out", "departed": "departed",
    "merged": "merged", "offer_withdrawn": "released", "moved": "moving",
}  # fmt: skip


class PersonAlreadyPlaced(Exception):
    """A second place for one person: the transaction must not commit."""


@dataclass(frozen=True)
class Freeing:
    """What freeing a place does: the placement's status and reason after it, the word in the
    person's history, and the change to the unit's held and occupied places."""

    status: str
    reason: str
    what: str
    held: int
    occupied: int


def freeing(event: FreedPlace) -> Freeing:
    if isinstance(event, HoldExpired):
        return Freeing("no_show", "no_show", "hold_expired", -1, 0)
    if isinstance(event, PlaceFreedOnConsentWithdrawal):
        taken = int(event.checked_in)
        return Freeing("forgotten", "consent_withdrawn", "released", taken - 1, -taken)
    status = _STATUS_AFTER_FREEING[event.reason]
    if isinstance(event, BedReleased):
        return Freeing(status, event.reason, "released", -1, 0)
    return Freeing(status, event.reason, "checked_out", 0, -1)


@dataclass(frozen=True, slots=True)
class Placement:
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
    #: while waiting, how many people of their arrival wait to be placed together with them,
    #: themselves included (1 for one who waits alone): freeing a place reads the waitlist's
    #: head of parties that fit through an index on it (services/housing/queries.py)
    party: int = 1


@dataclass(frozen=True, slots=True)
class HistoryLine:
    person_id: UUID
    position: int
    at: datetime
    what: str
    shelter_id: UUID | None
    unit_id: UUID | None
    bed_number: int | None
    reason: str | None


PLACEMENTS = Table("placements", Placement, ("person_id",), ("arrival_id",))
HISTORY = Table("placement_history", HistoryLine, ("person_id", "position", "what"), ("person_id",))

_PLACEMENT_EVENTS = (
    BedAssigned, PersonCheckedIn, PersonCheckedOut, BedReleased, HoldExpired,
    PlaceFreedOnConsentWithdrawal, PersonWaitlisted, PersonForgotten, DepartureBeforeArrival,
    PersonLeftWaitlist,
)  # fmt: skip


#: the events that start or end someone's wait: their arrival's party is counted again (a
#: waiting party is placed with a hold for each and its leaving the waitlist, in one append; a
#: hold given to someone who did not wait is no party's business, and reads nothing more)
_PARTY_EVENTS = (PersonWaitlisted, PersonLeftWaitlist, PersonForgotten)


def placement_reads(event: DomainEvent) -> Sequence[Read]:
    if isinstance(event, _PARTY_EVENTS):
        # the arrival's rows first: two appends lock one group's rows in one order
        return (
            Read(PLACEMENTS, "arrival_id", (event.arrival_id,)),
            Read(PLACEMENTS, "person_id", (event.person_id,)),
        )
    if isinstance(event, _PLACEMENT_EVENTS):
        return (Read(PLACEMENTS, "person_id", (event.person_id,)),)
    return ()


def fold_placement(recorded: Recorded, rows: Rows) -> list[Change]:
    """A person's placement after an event: held, checked in, freed, waiting, left the
    waitlist, or all that is kept of them once forgotten or departed before arriving; and,
    when they start or end a wait with their group, the party of each of its people who
    wait."""
    event = recorded.event
    if not isinstance(event, _PLACEMENT_EVENTS):
        return []
    before = rows.get(PLACEMENTS, event.person_id)
    after = _placement_after(recorded, event, before)
    changed = {} if after is None or after is before else {after.person_id: after}
    if isinstance(event, _PARTY_EVENTS):
        changed = _parties_counted(event.arrival_id, changed, rows)
    return [Put(PLACEMENTS, row) for row in changed.values()]


def _waits_together(placement: Placement | None) -> bool:
    return placement is not None and placement.status == "waiting" and placement.keep_together


def _parties_counted(
    arrival_id: UUID, changed: dict[UUID, Placement], rows: Rows
) -> dict[UUID, Placement]:
    """``changed``, and the rows of the arrival's people who wait together whose party is
    not the number of them any more, with that number."""
    people = {row.person_id: row for row in rows.where(PLACEMENTS, "arrival_id", arrival_id)}
    people.update(changed)
    together = [row for row in people.values() if row.arrival_id == arrival_id
                and _waits_together(row)]  # fmt: skip
    counted = dict(changed)
    for row in together:
        if row.party != len(together):
            counted[row.person_id] = replace(row, party=len(together))
    return counted


def _placement_after(
    recorded: Recorded, event: DomainEvent, before: Placement | None
) -> Placement | None:
    if isinstance(event, BedAssigned | PersonWaitlisted):
        return _hold_or_wait(recorded, event, before)
    if isinstance(event, PersonForgotten):
        status = before.status if before else None
        return Placement(*forgotten(event, recorded.correlation_id, status))
    if isinstance(event, DepartureBeforeArrival):
        # the first a person's row says, or nothing: a departure comes only before anything else
        if before is not None:
            return before
        person_id, status, reason, since, correlation_id = departed(event, recorded.correlation_id)
        return Placement(person_id, status, since, correlation_id, reason=reason)
    if before is None:
        return None
    if isinstance(event, PersonCheckedIn):
        return replace(
            before, status="checked_in", checked_in_at=event.occurred_at, hold_until=None
        )
    if isinstance(event, FreedPlace):
        if (before.unit_id, before.bed_number) != (event.unit_id, event.bed_number):
            return before  # the person is elsewhere by now: that place is not theirs to free
        freed = freeing(event)
        return replace(
            before, status=freed.status, reason=freed.reason, since=event.occurred_at,
            hold_until=None, checked_in_at=None, shelter_id=None, unit_id=None, bed_number=None,
        )  # fmt: skip
    if isinstance(event, PersonLeftWaitlist) and before.status == "waiting":
        if event.reason == "placed":  # placed: its hold says so already
            return before
        return replace(before, status=event.reason, reason=event.reason, since=event.occurred_at)
    return before


def _hold_or_wait(
    recorded: Recorded, event: BedAssigned | PersonWaitlisted, before: Placement | None
) -> Placement:
    if before is None:
        # it keeps the correlation of the event that made it, which later events leave be
        before = Placement(event.person_id, "", event.occurred_at, recorded.correlation_id)
    elif before.status in _PLACED:
        if isinstance(event, PersonWaitlisted):
            return before  # a person placed meanwhile waits no more
        raise PersonAlreadyPlaced(f"person {event.person_id} already holds a place")
    if isinstance(event, BedAssigned):
        return replace(
            before, status="held", arrival_id=event.arrival_id, shelter_id=event.shelter_id,
            unit_id=event.unit_id, bed_number=event.bed_number, hold_until=event.hold_until,
            since=event.occurred_at, reason=None, checked_in_at=None,
        )  # fmt: skip
    needs = event.requirements
    return replace(
        before, status="waiting", arrival_id=event.arrival_id, reason=event.reason,
        since=event.occurred_at, keep_together=event.keep_together, priority=event.priority,
        needs_accessible=needs.accessible, needs_family=needs.family_room,
        all_women=needs.all_women, party=1,
    )  # fmt: skip


def history_reads(event: DomainEvent) -> Sequence[Read]:
    if isinstance(event, PersonForgotten):
        return (Read(HISTORY, "person_id", (event.person_id,)),)
    return ()


def fold_history(recorded: Recorded, rows: Rows) -> list[Change]:
    """The line an event adds to a person's placement history, if it adds one; a forgotten
    person's history goes."""
    event = recorded.event
    if isinstance(event, PersonForgotten):
        return [Delete(HISTORY, HISTORY.key_of(line))
                for line in rows.where(HISTORY, "person_id", event.person_id)]  # fmt: skip
    if isinstance(event, BedAssigned | PersonCheckedIn):
        what = "held" if isinstance(event, BedAssigned) else "checked_in"
        place: tuple[UUID | None, UUID | None, int | None, str | None] = (
            event.shelter_id, event.unit_id, event.bed_number, None,
        )  # fmt: skip
    elif isinstance(event, FreedPlace):
        freed = freeing(event)
        what, place = freed.what, (event.shelter_id, event.unit_id, event.bed_number, freed.reason)
    elif isinstance(event, PersonWaitlisted | PersonLeftWaitlist):
        what = "waitlisted" if isinstance(event, PersonWaitlisted) else "left_waitlist"
        place = (None, None, None, event.reason)
    elif isinstance(event, PersonMoved):
        # the operator's reason is in move_notes, joined when the history is read
        what, place = "moved", (event.shelter_id, None, None, None)
    else:
        return []
    line = HistoryLine(event.person_id, recorded.global_position, event.occurred_at, what, *place)
    return [Put(HISTORY, line)]


PLACEMENT_MODEL = ReadModel((PLACEMENTS,), _PLACEMENT_EVENTS, placement_reads, fold_placement)
HISTORY_MODEL = ReadModel(
    (HISTORY,),
    (BedAssigned, PersonCheckedIn, *get_args(FreedPlace), PersonWaitlisted, PersonLeftWaitlist,
     PersonMoved, PersonForgotten),
    history_reads,
    fold_history,
)  # fmt: skip
