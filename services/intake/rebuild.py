"""Intake's read models folded in memory from its events and written with COPY: what
projections.projector builds one event at a time, built at once for a rebuild
(shared.rebuild).

Personal details are handled as the live projection handles them: sealed in person_details,
opened only to compute the blind index, never logged; an erased person's details are dropped,
and their key is gone, so nothing of them is indexed again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from services.intake.events import (
    DuplicateSuspected,
    PersonalDetailsCorrected,
    PersonalDetailsRecorded,
)
from services.intake.projections import (
    CASE_COLUMNS,
    CONSENT_COLUMNS,
    INDEX_COLUMNS,
    case_of,
    consent_of,
    facts_of,
    flag_of,
    index_of,
    members_of,
    sealed_details_of,
)
from services.intake.vault import Vault
from shared.eventstore import RecordedEvent
from shared.rebuild import copy_rows
from shared.schemas.intake import (
    ArrivalRegistered,
    ConsentGiven,
    ConsentWithdrawn,
    MergeUndone,
    PersonDeparted,
    PersonErased,
    PersonFactsCorrected,
    PersonsMerged,
)


@dataclass(slots=True)
class _Member:
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


@dataclass(slots=True)
class _Details:
    person_id: UUID
    arrival_id: UUID
    partner_id: str
    member_index: int
    sealed: str
    updated_at: datetime


@dataclass(slots=True)
class _Flag:
    person_id: UUID
    candidate_person_id: UUID
    rule: str
    flagged_at: datetime
    resolution: str | None = None


FlagKey = tuple[UUID, UUID, str]


@dataclass
class IntakeReadModels:
    """Cases, their members, sealed details and their blind index, consents and duplicate
    flags, keyed as their tables are."""

    vault: Vault
    cases: dict[UUID, tuple[Any, ...]] = field(default_factory=dict)
    members: dict[UUID, _Member] = field(default_factory=dict)
    details: dict[UUID, _Details] = field(default_factory=dict)
    #: the sealed details each person is indexed by: their latest, until erased
    to_index: dict[UUID, str] = field(default_factory=dict)
    consents: dict[tuple[UUID, str, str], tuple[Any, ...]] = field(default_factory=dict)
    flags: dict[FlagKey, _Flag] = field(default_factory=dict)
    #: the flags naming each person, either side
    flags_of: dict[UUID, list[FlagKey]] = field(default_factory=dict)

    def apply(self, recorded: RecordedEvent) -> None:
        event = recorded.event
        if isinstance(event, ConsentGiven | ConsentWithdrawn):
            consent = consent_of(event)
            self.consents[consent[:3]] = consent
        elif isinstance(event, ArrivalRegistered):
            self.cases.setdefault(event.arrival_id, case_of(recorded))
            for row in members_of(event):
                self.members.setdefault(row[0], _Member(*row))
        elif isinstance(event, PersonalDetailsRecorded):
            self.details.setdefault(event.person_id, _Details(*sealed_details_of(event)))
            self.to_index[event.person_id] = event.sealed
        elif isinstance(event, PersonalDetailsCorrected):
            self._correct_details(event)
        elif isinstance(event, PersonFactsCorrected):
            if member := self.members.get(event.person_id):
                member.age_band, member.sex, member.needs, member.languages = facts_of(event)
        elif isinstance(event, PersonDeparted):
            if member := self.members.get(event.person_id):
                member.status, member.departure_reason = "departed", event.reason.value
        elif isinstance(event, PersonsMerged | MergeUndone):
            self._merge(event)
        elif isinstance(event, DuplicateSuspected):
            self._flag(event)
        elif isinstance(event, PersonErased):
            self._erase(event.person_id)

    def _correct_details(self, event: PersonalDetailsCorrected) -> None:
        if details := self.details.get(event.person_id):
            details.sealed, details.updated_at = event.sealed, event.occurred_at
        self.to_index[event.person_id] = event.sealed  # as live: indexed even without a row

    def _merge(self, event: PersonsMerged | MergeUndone) -> None:
        merged = isinstance(event, PersonsMerged)
        if member := self.members.get(event.duplicate_person_id):
            member.status = "merged" if merged else "active"
            member.merged_into = event.kept_person_id if merged else None
        for key in self.flags_of.get(event.duplicate_person_id, ()):
            person, candidate, _ = key
            flag = self.flags.get(key)  # gone if the other side was erased
            if flag and (person, candidate) == (event.duplicate_person_id, event.kept_person_id):
                flag.resolution = "merged" if merged else "not_a_duplicate"

    def _flag(self, event: DuplicateSuspected) -> None:
        key: FlagKey = (event.person_id, event.candidate_person_id, event.rule)
        if key not in self.flags:
            self.flags[key] = _Flag(*flag_of(event))
            self.flags_of.setdefault(event.person_id, []).append(key)
            self.flags_of.setdefault(event.candidate_person_id, []).append(key)

    def _erase(self, person_id: UUID) -> None:
        self.to_index.pop(person_id, None)
        self.details.pop(person_id, None)
        for key in self.flags_of.pop(person_id, ()):
            self.flags.pop(key, None)
        if member := self.members.get(person_id):
            member.status = "erased"

    async def write(self, conn: asyncpg.Connection) -> None:
        await conn.copy_records_to_table("cases", records=self.cases.values(), columns=CASE_COLUMNS)
        await copy_rows(conn, "case_members", self.members.values(), _Member)
        await copy_rows(conn, "person_details", self.details.values(), _Details)
        await conn.copy_records_to_table(
            "consents", records=self.consents.values(), columns=CONSENT_COLUMNS
        )
        await copy_rows(conn, "duplicate_flags", self.flags.values(), _Flag)
        # each person's details are opened only as COPY reaches them, and dropped once
        # indexed: no plaintext piles up in memory
        opened = await self.vault.open_each(conn, self.to_index)
        await conn.copy_records_to_table(
            "person_index",
            records=(row for person_id, payload in opened
                     for row in index_of(self.vault, person_id, payload)),
            columns=INDEX_COLUMNS,
        )  # fmt: skip
