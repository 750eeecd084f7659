"""A person's sealed details and what their blind index is made from, their consents, and the
duplicates suspected of them: three read models, each one fold (shared.folds) that the
registration's set projection (registration_rows.py), the live projection (projections.py) and
the rebuild (rebuild.py) all run.

Details stay sealed in these rows too. The blind index is kept here as the sealed details it is
computed from (IndexSource); whoever writes person_index opens them with the vault as it writes,
so nothing readable is ever held in a row. An erased person's details and index go, and their
key with them: nothing of them is indexed again."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from uuid import UUID

from services.intake.events import (
    DuplicateSuspected,
    PersonalDetailsCorrected,
    PersonalDetailsRecorded,
)
from shared.folds import Change, Delete, Put, Read, ReadModel, Recorded, Rows, Table, no_reads
from shared.schemas.base import DomainEvent
from shared.schemas.intake import (
    ConsentGiven,
    ConsentWithdrawn,
    MergeUndone,
    PersonErased,
    PersonsMerged,
)


@dataclass(frozen=True, slots=True)
class Details:
    person_id: UUID
    arrival_id: UUID
    partner_id: str
    member_index: int
    sealed: str
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class IndexSource:
    """The sealed details a person is indexed by: their latest, until erased."""

    person_id: UUID
    sealed: str


@dataclass(frozen=True, slots=True)
class Consent:
    """A consent as it stands after its latest event; one given to no partner in particular is
    kept under the partner ''."""

    person_id: UUID
    purpose: str
    partner_id: str
    given: bool
    changed_at: datetime


@dataclass(frozen=True, slots=True)
class Flag:
    person_id: UUID
    candidate_person_id: UUID
    rule: str
    flagged_at: datetime
    resolution: str | None = None


DETAILS = Table("person_details", Details, ("person_id",))
INDEX = Table("person_index", IndexSource, ("person_id",))
CONSENTS = Table("consents", Consent, ("person_id", "purpose", "partner_id"))
FLAGS = Table(
    "duplicate_flags", Flag, ("person_id", "candidate_person_id", "rule"),
    ("person_id", "candidate_person_id"),
)  # fmt: skip


def details_of(event: PersonalDetailsRecorded) -> Details:
    """A person's details as recorded: still sealed, with where they came from."""
    return Details(
        event.person_id, event.arrival_id, event.partner_id, event.member_index, event.sealed,
        event.occurred_at,
    )  # fmt: skip


def details_reads(event: DomainEvent) -> Sequence[Read]:
    if isinstance(event, PersonalDetailsRecorded | PersonalDetailsCorrected):
        return (Read(DETAILS, "person_id", (event.person_id,)),)
    return ()


def fold_details(recorded: Recorded, rows: Rows) -> list[Change]:
    """A person's sealed details, as first recorded and as corrected since, and the details
    they are indexed by: the latest, even of a correction without a row (as it ran live)."""
    event = recorded.event
    if isinstance(event, PersonErased):
        # the details first, as a correction and a key rotation's rewrap batch take them: the
        # live delete waits for a batch that holds them, and deletes the index once that batch
        # committed. Index first, it would look before the batch's new entries existed and
        # leave them to an erased person
        return [Delete(DETAILS, event.person_id), Delete(INDEX, event.person_id)]
    if not isinstance(event, PersonalDetailsRecorded | PersonalDetailsCorrected):
        return []
    changes: list[Change] = []
    before = rows.get(DETAILS, event.person_id)
    if isinstance(event, PersonalDetailsRecorded) and before is None:
        changes.append(Put(DETAILS, details_of(event)))
    elif isinstance(event, PersonalDetailsCorrected) and before is not None:
        changes.append(
            Put(DETAILS, replace(before, sealed=event.sealed, updated_at=event.occurred_at))
        )
    return [*changes, Put(INDEX, IndexSource(event.person_id, event.sealed))]


def consent_of(event: ConsentGiven | ConsentWithdrawn) -> Consent:
    return Consent(
        event.person_id, event.purpose.value, event.partner_id or "",
        isinstance(event, ConsentGiven), event.occurred_at,
    )  # fmt: skip


def fold_consent(recorded: Recorded, rows: Rows) -> list[Change]:
    """A consent as its latest event leaves it."""
    event = recorded.event
    if isinstance(event, ConsentGiven | ConsentWithdrawn):
        return [Put(CONSENTS, consent_of(event))]
    return []


def flag_reads(event: DomainEvent) -> Sequence[Read]:
    if isinstance(event, DuplicateSuspected):
        return (Read(FLAGS, "person_id", (event.person_id,)),)
    if isinstance(event, PersonsMerged | MergeUndone):
        return (Read(FLAGS, "person_id", (event.duplicate_person_id,)),)
    if isinstance(event, PersonErased):
        return (
            Read(FLAGS, "person_id", (event.person_id,)),
            Read(FLAGS, "candidate_person_id", (event.person_id,)),
        )
    return ()


def fold_flag(recorded: Recorded, rows: Rows) -> list[Change]:
    """A suspected duplicate, as first flagged, then resolved by a merge (or its undoing); an
    erased person's flags go, on either side."""
    event = recorded.event
    if isinstance(event, DuplicateSuspected):
        flag = Flag(event.person_id, event.candidate_person_id, event.rule, event.occurred_at)
        known = {FLAGS.key_of(known) for known in rows.where(FLAGS, "person_id", event.person_id)}
        return [] if FLAGS.key_of(flag) in known else [Put(FLAGS, flag)]
    if isinstance(event, PersonsMerged | MergeUndone):
        resolution = "merged" if isinstance(event, PersonsMerged) else "not_a_duplicate"
        return [Put(FLAGS, replace(flag, resolution=resolution))
                for flag in rows.where(FLAGS, "person_id", event.duplicate_person_id)
                if flag.candidate_person_id == event.kept_person_id]  # fmt: skip
    if isinstance(event, PersonErased):
        named = [*rows.where(FLAGS, "person_id", event.person_id),
                 *rows.where(FLAGS, "candidate_person_id", event.person_id)]  # fmt: skip
        return [Delete(FLAGS, key) for key in dict.fromkeys(FLAGS.key_of(flag) for flag in named)]
    return []


DETAILS_MODEL = ReadModel(
    (DETAILS, INDEX),
    (PersonalDetailsRecorded, PersonalDetailsCorrected, PersonErased),
    details_reads,
    fold_details,
)
CONSENT_MODEL = ReadModel((CONSENTS,), (ConsentGiven, ConsentWithdrawn), no_reads, fold_consent)
FLAG_MODEL = ReadModel(
    (FLAGS,), (DuplicateSuspected, PersonsMerged, MergeUndone, PersonErased), flag_reads, fold_flag
)
