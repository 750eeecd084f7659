"""The person as intake knows them: consents, corrections, departure, merge and erasure.

Rules: nothing more happens to an erased person; a merged record only answers an undo; a
departed person may still be corrected or erased, but not depart twice.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal
from uuid import UUID

# the commands live in their own module; their names stay importable from here
from services.intake.domain.person_commands import (
    ChangeConsent,
    Consent,
    CorrectDetails,
    Erase,
    MergeInto,
    PersonCommand,
    RecordDetails,
    RegisterDeparture,
    Stamp,
    UndoMerge,
    stamp,
)
from services.intake.events import (
    DuplicateSuspected,
    PersonalDetailsCorrected,
    PersonalDetailsRecorded,
)
from shared.decision import Decider, DomainError
from shared.schemas.base import DomainEvent
from shared.schemas.intake import (
    ArrivingMember,
    ConsentGiven,
    ConsentPurpose,
    ConsentWithdrawn,
    MergeUndone,
    PersonDeparted,
    PersonErased,
    PersonFactsCorrected,
    PersonsMerged,
)

__all__ = [
    "SERVICE_PURPOSES",
    "ChangeConsent",
    "Consent",
    "CorrectDetails",
    "Erase",
    "MergeInto",
    "MergeRefused",
    "Person",
    "PersonCommand",
    "PersonErasedAlready",
    "PersonMerged",
    "RecordDetails",
    "RegisterDeparture",
    "Stamp",
    "Status",
    "UndoMerge",
    "UnknownPerson",
    "decide",
    "evolve",
    "person",
    "stamp",
]

#: the purposes another service acts on: given later, they carry what it needs to take the
#: person in; withdrawn, what it needs to forget them
SERVICE_PURPOSES = frozenset({ConsentPurpose.HOUSING, ConsentPurpose.AID})


Status = Literal["unknown", "active", "departed", "merged", "erased"]


@dataclass(frozen=True)
class Person:
    status: Status = "unknown"
    arrival_id: UUID | None = None
    partner_id: str | None = None
    facts: ArrivingMember | None = None
    consents: frozenset[Consent] = frozenset()
    merged_into: UUID | None = None


class UnknownPerson(DomainError):
    pass


class PersonErasedAlready(DomainError):
    pass


class PersonMerged(DomainError):
    pass


class MergeRefused(DomainError):
    pass


def decide(command: PersonCommand, state: Person) -> list[DomainEvent]:
    at = stamp(command)
    if isinstance(command, RecordDetails):
        return [] if state.status != "unknown" else _registration(command)
    _refuse_unless_known(state)
    if isinstance(command, Erase):
        if state.status == "erased":
            return []
        return [PersonErased(**at, person_id=command.person_id)]
    if state.status == "erased":
        raise PersonErasedAlready("this person's data was erased; nothing more can be recorded")
    if isinstance(command, UndoMerge):
        if state.status != "merged" or state.merged_into is None:
            raise MergeRefused("this record is not merged into another; there is nothing to undo")
        assert state.arrival_id is not None and state.facts is not None
        return [
            MergeUndone(
                **at,
                duplicate_person_id=command.duplicate_person_id,
                kept_person_id=state.merged_into,
                arrival_id=state.arrival_id,
                member=state.facts,
                consents=tuple(sorted(purpose for purpose, other in state.consents if not other)),
            )
        ]
    if state.status == "merged":
        raise PersonMerged(f"this record was merged into {state.merged_into}; act on that one")
    if isinstance(command, ChangeConsent):
        return _consent(command, state, at)
    if isinstance(command, CorrectDetails):
        return _correction(command, state, at)
    if isinstance(command, RegisterDeparture):
        if state.status == "departed":
            return []
        assert state.arrival_id is not None
        return [
            PersonDeparted(
                **at,
                person_id=command.person_id,
                arrival_id=state.arrival_id,
                reason=command.reason,
            )
        ]
    if command.kept_person_id == command.duplicate_person_id:
        raise MergeRefused("a record cannot be merged into itself")
    if not command.kept_is_active:
        raise MergeRefused(f"the kept record {command.kept_person_id} is not an active person")
    return [
        PersonsMerged(
            **at,
            duplicate_person_id=command.duplicate_person_id,
            kept_person_id=command.kept_person_id,
        )
    ]


def _refuse_unless_known(state: Person) -> None:
    if state.status == "unknown":
        raise UnknownPerson("no person with this id is registered")


def _registration(command: RecordDetails) -> list[DomainEvent]:
    at = stamp(command)
    events: list[DomainEvent] = [
        PersonalDetailsRecorded(
            **at,
            person_id=command.person_id,
            arrival_id=command.arrival_id,
            partner_id=command.partner_id,
            member_index=command.member_index,
            member=command.member,
            sealed=command.sealed,
        )
    ]
    events.extend(
        ConsentGiven(**at, person_id=command.person_id, purpose=purpose, partner_id=partner)
        for purpose, partner in dict.fromkeys(command.consents)
    )
    events.extend(
        DuplicateSuspected(**at, person_id=command.person_id, candidate_person_id=other, rule=rule)
        for other, rule in command.duplicates
    )
    return events


def _consent(command: ChangeConsent, state: Person, at: Stamp) -> list[DomainEvent]:
    if (command.purpose == ConsentPurpose.SHARING_WITH_PARTNER) != (command.partner_id is not None):
        raise DomainError("a partner_id goes with sharing_with_partner, and only with it")
    consent = (command.purpose, command.partner_id)
    if command.given == (consent in state.consents):
        return []  # already so
    if command.purpose not in SERVICE_PURPOSES:
        kind = ConsentGiven if command.given else ConsentWithdrawn
        return [kind(**at, person_id=command.person_id, purpose=command.purpose,
                     partner_id=command.partner_id)]  # fmt: skip
    if not command.given:
        return [ConsentWithdrawn(**at, person_id=command.person_id, purpose=command.purpose,
                                 arrival_id=state.arrival_id)]  # fmt: skip
    # given after registration: the service learns who to take in only now
    return [ConsentGiven(**at, person_id=command.person_id, purpose=command.purpose,
                         arrival_id=state.arrival_id, member=state.facts)]  # fmt: skip


def _correction(command: CorrectDetails, state: Person, at: Stamp) -> list[DomainEvent]:
    events: list[DomainEvent] = [
        PersonalDetailsCorrected(
            **at,
            person_id=command.person_id,
            field=command.field,
            sealed=command.sealed,
        )
    ]
    new = command.facts
    if state.facts is None or (new.age_band, new.sex, new.needs, new.languages) != (
        state.facts.age_band,
        state.facts.sex,
        state.facts.needs,
        state.facts.languages,
    ):
        events.append(
            PersonFactsCorrected(
                **at,
                person_id=command.person_id,
                age_band=new.age_band,
                sex=new.sex,
                needs=new.needs,
                languages=new.languages,
            )
        )
    return events


def evolve(state: Person, event: DomainEvent) -> Person:
    if isinstance(event, PersonalDetailsRecorded):
        return replace(
            state,
            status="active",
            arrival_id=event.arrival_id,
            partner_id=event.partner_id,
            facts=event.member,
        )
    if isinstance(event, ConsentGiven):
        return replace(state, consents=state.consents | {(event.purpose, event.partner_id)})
    if isinstance(event, ConsentWithdrawn):
        return replace(state, consents=state.consents - {(event.purpose, event.partner_id)})
    if isinstance(event, PersonFactsCorrected) and state.facts is not None:
        facts = state.facts.model_copy(
            update={
                "age_band": event.age_band,
                "sex": event.sex,
                "needs": event.needs,
                "languages": event.languages,
            }
        )
        return replace(state, facts=facts)
    if isinstance(event, PersonDeparted):
        return replace(state, status="departed")
    if isinstance(event, PersonsMerged):
        return replace(state, status="merged", merged_into=event.kept_person_id)
    if isinstance(event, MergeUndone):
        return replace(state, status="active", merged_into=None)
    if isinstance(event, PersonErased):
        return replace(state, status="erased")
    return state


person: Decider[PersonCommand, Person] = Decider(Person(), decide, evolve)
