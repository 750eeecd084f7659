"""What may be asked of a person in intake: record their details at registration, change a
consent, correct a detail, register a departure, merge a duplicate (or undo it), erase. Plain
data, built by the application from a request; the rules that answer them are in
``services.intake.domain.person``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, TypedDict
from uuid import UUID

from shared.schemas.intake import (
    ArrivingMember,
    ConsentPurpose,
    DepartureReason,
)

Consent = tuple[ConsentPurpose, str | None]


class Stamp(TypedDict):
    """Who and when, as every event records them."""

    actor: str
    occurred_at: datetime


def stamp(command: PersonCommand) -> Stamp:
    return {"actor": command.actor, "occurred_at": command.now}


@dataclass(frozen=True)
class RecordDetails:
    person_id: UUID
    arrival_id: UUID
    partner_id: str
    member_index: int
    member: ArrivingMember
    sealed: str
    consents: tuple[Consent, ...]
    duplicates: tuple[tuple[UUID, Literal["same_document", "same_name_and_birth_date"]], ...]
    actor: str
    now: datetime


@dataclass(frozen=True)
class ChangeConsent:
    person_id: UUID
    purpose: ConsentPurpose
    partner_id: str | None
    given: bool
    actor: str
    now: datetime


@dataclass(frozen=True)
class CorrectDetails:
    person_id: UUID
    field: str
    sealed: str
    facts: ArrivingMember  # the coarse facts after the correction
    actor: str
    now: datetime


@dataclass(frozen=True)
class RegisterDeparture:
    person_id: UUID
    reason: DepartureReason
    actor: str
    now: datetime


@dataclass(frozen=True)
class MergeInto:
    duplicate_person_id: UUID
    kept_person_id: UUID
    kept_is_active: bool  # the kept record's state, loaded by the application
    actor: str
    now: datetime


@dataclass(frozen=True)
class UndoMerge:
    duplicate_person_id: UUID
    actor: str
    now: datetime


@dataclass(frozen=True)
class Erase:
    """No reason travels with an erasure: free text about a person would outlive them."""

    person_id: UUID
    actor: str
    now: datetime


PersonCommand = (
    RecordDetails
    | ChangeConsent
    | CorrectDetails
    | RegisterDeparture
    | MergeInto
    | UndoMerge
    | Erase
)
