"""Cases and their members: one read model, one fold (shared.folds) that the registration's set
projection (registration_rows.py), the live projection (projections.py) and the rebuild
(rebuild.py) all run. A case is as registered; a member's facts, status (active, departed,
merged, erased) and whom they were merged into follow the person's events."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import get_args
from uuid import UUID

from shared.folds import Change, Put, Read, ReadModel, Recorded, Rows, Table
from shared.schemas.base import DomainEvent
from shared.schemas.intake import (
    ArrivalRegistered,
    MergeUndone,
    PersonDeparted,
    PersonErased,
    PersonFactsCorrected,
    PersonsMerged,
)


@dataclass(frozen=True, slots=True)
class Case:
    arrival_id: UUID
    partner_id: str
    member_count: int
    keep_together: bool
    arrival_date: date
    crossing_point: str | None
    registered_at: datetime
    correlation_id: str


@dataclass(frozen=True, slots=True)
class Member:
    person_id: UUID
    arrival_id: UUID
    age_band: str
    sex: str
    relation: str
    needs: list[str]
    languages: list[str]
    status: str
    departure_reason: str | None = None
    merged_into: UUID | None = None


CASES = Table("cases", Case, ("arrival_id",))
MEMBERS = Table("case_members", Member, ("person_id",))

#: a person's events that change their row as a member
_MemberChange = PersonFactsCorrected | PersonDeparted | PersonErased
_Merging = PersonsMerged | MergeUndone


def case_of(event: ArrivalRegistered, correlation_id: str) -> Case:
    """An arrival as a case: who registered it, when and where, how many came."""
    return Case(
        event.arrival_id, event.partner_id, len(event.members), event.keep_together,
        event.arrival_date, event.crossing_point, event.occurred_at, correlation_id,
    )  # fmt: skip


def members_of(event: ArrivalRegistered) -> list[Member]:
    """The arrival's people, each as a case member who is active."""
    return [
        Member(m.person_id, event.arrival_id, m.age_band.value, m.sex.value, m.relation.value,
               [need.value for need in m.needs], list(m.languages), "active")
        for m in event.members
    ]  # fmt: skip


def case_reads(event: DomainEvent) -> Sequence[Read]:
    if isinstance(event, ArrivalRegistered):
        people = tuple(member.person_id for member in event.members)
        return (Read(CASES, "arrival_id", (event.arrival_id,)), Read(MEMBERS, "person_id", people))
    if isinstance(event, _MemberChange):
        return (Read(MEMBERS, "person_id", (event.person_id,)),)
    if isinstance(event, _Merging):
        return (Read(MEMBERS, "person_id", (event.duplicate_person_id,)),)
    return ()


def fold_case(recorded: Recorded, rows: Rows) -> list[Change]:
    """A case and its members after an event."""
    event = recorded.event
    if isinstance(event, ArrivalRegistered):
        # as first registered: an arrival registered again changes nothing
        changes: list[Change] = []
        if rows.get(CASES, event.arrival_id) is None:
            changes.append(Put(CASES, case_of(event, recorded.correlation_id)))
        changes += [Put(MEMBERS, member) for member in members_of(event)
                    if rows.get(MEMBERS, member.person_id) is None]  # fmt: skip
        return changes
    if isinstance(event, _Merging):
        member = rows.get(MEMBERS, event.duplicate_person_id)
    elif isinstance(event, _MemberChange):
        member = rows.get(MEMBERS, event.person_id)
    else:
        return []
    return [Put(MEMBERS, _member_after(event, member))] if member else []


def _member_after(event: _MemberChange | _Merging, member: Member) -> Member:
    if isinstance(event, PersonFactsCorrected):
        return replace(
            member, age_band=event.age_band.value, sex=event.sex.value,
            needs=[need.value for need in event.needs], languages=list(event.languages),
        )  # fmt: skip
    if isinstance(event, PersonDeparted):
        return replace(member, status="departed", departure_reason=event.reason.value)
    if isinstance(event, PersonsMerged):
        return replace(member, status="merged", merged_into=event.kept_person_id)
    if isinstance(event, MergeUndone):
        return replace(member, status="active", merged_into=None)
    return replace(member, status="erased")


CASE_MODEL = ReadModel(
    (CASES, MEMBERS),
    (ArrivalRegistered, *get_args(_MemberChange), *get_args(_Merging)),
    case_reads,
    fold_case,
)
