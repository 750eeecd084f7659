"""Intake's use cases: load, decide, append, through the shared loop."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID, uuid4

import asyncpg
from pydantic import ValidationError

from services.intake.domain.arrival import RegisterArrival, age_band, age_on, arrival
from services.intake.domain.person import (
    ChangeConsent,
    CorrectDetails,
    Erase,
    MergeInto,
    RecordDetails,
    RegisterDeparture,
    UndoMerge,
    person,
)
from services.intake.partners import Partner
from services.intake.queries import readable_by
from services.intake.requests import (
    ArrivalAccepted,
    ArrivalRequest,
    ConsentChange,
    Correction,
    NewPerson,
    born_after_arrival,
)
from services.intake.search import details_of, lookup_entries
from services.intake.vault import Vault
from shared.decider import execute
from shared.decision import DomainError
from shared.eventstore import Causation, EventStore
from shared.idempotency import forget_requests_carrying
from shared.schemas.intake import ArrivingMember, ConsentPurpose, DepartureReason

DuplicateRule = Literal["same_document", "same_name_and_birth_date"]


class InvalidCorrection(DomainError):
    def __init__(self, error: ValidationError) -> None:
        super().__init__("; ".join(issue["msg"] for issue in error.errors(include_url=False)))
        self.errors = error.errors(include_url=False)


def coarse(details: NewPerson, person_id: UUID, arrival_date: date) -> ArrivingMember:
    """The facts that may leave intake: age band instead of birth date, codes instead of
    stories."""
    age = details.age if details.birth_date is None else age_on(details.birth_date, arrival_date)
    assert age is not None  # the request model requires one of the two
    return ArrivingMember(
        person_id=person_id,
        age_band=age_band(age),
        sex=details.sex,
        relation=details.relation,
        needs=details.need_codes(),
        languages=tuple(dict.fromkeys(details.languages)),
    )


async def possible_duplicates(
    conn: asyncpg.Connection, vault: Vault, details: NewPerson, arrival_id: UUID
) -> list[tuple[UUID, DuplicateRule]]:
    entries = [(kind, value) for kind, value in lookup_entries(vault, details) if kind != "name"]
    if not entries:
        return []
    rows = await conn.fetch(
        """
        SELECT DISTINCT i.person_id, i.kind FROM person_index i
        JOIN person_details d USING (person_id)
        WHERE (i.kind, i.value) IN (SELECT * FROM unnest($1::text[], $2::text[]))
          AND d.arrival_id <> $3
        ORDER BY i.person_id, i.kind
        """,
        [kind for kind, _ in entries],
        [value for _, value in entries],
        arrival_id,
    )
    rules: dict[str, DuplicateRule] = {
        "document": "same_document",
        "name_dob": "same_name_and_birth_date",
    }
    return [(row["person_id"], rules[row["kind"]]) for row in rows]


async def register_arrival(
    conn: asyncpg.Connection,
    store: EventStore,
    vault: Vault,
    partner: Partner,
    request: ArrivalRequest,
    now: datetime,
) -> ArrivalAccepted:
    """Record an arrival: the coarse event for the topic, each person's details sealed."""
    arrival_id = uuid4()
    person_ids = [uuid4() for _ in request.members]
    members = tuple(
        coarse(details, person_id, request.arrival_date)
        for details, person_id in zip(request.members, person_ids, strict=True)
    )
    command = RegisterArrival(
        arrival_id=arrival_id,
        partner_id=partner.partner_id,
        members=members,
        keep_together=request.keep_together,
        arrival_date=request.arrival_date,
        crossing_point=request.crossing_point,
        now=now,
        consents=tuple(ConsentPurpose(purpose) for purpose in dict.fromkeys(request.consents)),
    )
    causation = Causation.new()
    await execute(conn, store, arrival, str(arrival_id), command, causation, new_stream=True)
    consents = tuple((ConsentPurpose(purpose), None) for purpose in request.consents) + tuple(
        (ConsentPurpose.SHARING_WITH_PARTNER, other) for other in request.share_with_partners
    )
    flagged: list[dict[str, str]] = []
    for index, (details, member) in enumerate(zip(request.members, members, strict=True)):
        payload = {
            "details": details.model_dump(mode="json"),
            "partner_reference": request.partner_reference,
        }
        duplicates = await possible_duplicates(conn, vault, details, arrival_id)
        # every pair is recorded for the operators' review (GET /v1/duplicates); the partner's
        # answer names only the persons it may know of
        known = await readable_by(conn, partner, [other for other, _ in duplicates])
        flagged.extend(
            {"person_id": str(member.person_id), "candidate_person_id": str(other), "rule": rule}
            for other, rule in duplicates
            if other in known
        )
        record = RecordDetails(
            person_id=member.person_id,
            arrival_id=arrival_id,
            partner_id=partner.partner_id,
            member_index=index,
            member=member,
            sealed=await vault.seal(conn, member.person_id, payload, new_person=True),
            consents=consents,
            duplicates=tuple(duplicates),
            actor=partner.registrar,
            now=now,
        )
        await execute(
            conn, store, person, str(member.person_id), record, causation, new_stream=True
        )
    return ArrivalAccepted(
        arrival_id=str(arrival_id),
        person_ids=[str(person_id) for person_id in person_ids],
        correlation_id=causation.correlation_id,
        possible_duplicates=flagged,
        not_informed=not_informed(person_ids, command.consents),
    )


#: what each service does for a person, and so what a person misses without agreeing to it
SERVICE_PURPOSES = {
    ConsentPurpose.HOUSING: "housing was not asked to place this person",
    ConsentPurpose.AID: "aid was not asked to register this person (no food, items or support)",
}


def not_informed(
    person_ids: list[UUID], consents: tuple[ConsentPurpose, ...]
) -> list[dict[str, str]]:
    """Per person and service left out for want of consent: why, and what to do about it."""
    return [
        {
            "person_id": str(person_id),
            "purpose": purpose.value,
            "detail": f"{missing}: they have not agreed to the {purpose.value} purpose. When "
            f"they agree, POST /v1/persons/{person_id}/consents with "
            f'{{"purpose": "{purpose.value}", "given": true}}; {purpose.value} then takes them '
            "in as if they arrived now.",
        }
        for person_id in person_ids
        for purpose, missing in SERVICE_PURPOSES.items()
        if purpose not in consents
    ]


async def change_consent(
    conn: asyncpg.Connection,
    store: EventStore,
    partner: Partner,
    person_id: UUID,
    change: ConsentChange,
    now: datetime,
) -> int:
    command = ChangeConsent(
        person_id, change.purpose, change.partner_id, change.given, partner.actor, now
    )
    return len(await execute(conn, store, person, str(person_id), command, Causation.new()))


async def correct_details(
    conn: asyncpg.Connection,
    store: EventStore,
    vault: Vault,
    partner: Partner,
    person_id: UUID,
    correction: Correction,
    now: datetime,
) -> int:
    row = await conn.fetchrow(
        """
        SELECT d.sealed, c.arrival_date FROM person_details d JOIN cases c USING (arrival_id)
        WHERE d.person_id = $1
        """,
        person_id,
    )
    payload = await vault.open(conn, person_id, row["sealed"]) if row else None
    if row is None or payload is None:
        raise DomainError("this person's details are erased or unknown; nothing to correct")
    current = details_of(payload).model_dump(mode="json")
    old = current.get(correction.field)
    try:
        corrected = NewPerson.model_validate({**current, correction.field: correction.value})
        if issues := born_after_arrival(corrected.birth_date, row["arrival_date"], ("birth_date",)):
            raise ValidationError.from_exception_data("NewPerson", issues)
    except ValidationError as error:
        raise InvalidCorrection(error) from error
    new = corrected.model_dump(mode="json")
    sealed = await vault.seal(
        conn,
        person_id,
        {
            "details": new,
            "field": correction.field,
            "old": old,
            "new": new[correction.field],
            "reason": correction.reason,
            "partner_reference": payload.get("partner_reference"),
        },
    )
    facts = coarse(corrected, person_id, row["arrival_date"])
    facts = facts.model_copy(update={"relation": corrected.relation})
    command = CorrectDetails(person_id, correction.field, sealed, facts, partner.actor, now)
    return len(await execute(conn, store, person, str(person_id), command, Causation.new()))


async def register_departure(
    conn: asyncpg.Connection,
    store: EventStore,
    partner: Partner,
    person_id: UUID,
    reason: DepartureReason,
    now: datetime,
) -> int:
    command = RegisterDeparture(person_id, reason, partner.actor, now)
    return len(await execute(conn, store, person, str(person_id), command, Causation.new()))


async def merge(
    conn: asyncpg.Connection, store: EventStore, duplicate: UUID, kept: UUID, now: datetime
) -> int:
    kept_history = await store.read_stream(conn, str(kept))
    kept_state = person.fold([recorded.event for recorded in kept_history])
    command = MergeInto(duplicate, kept, kept_state.status == "active", "operator", now)
    return len(await execute(conn, store, person, str(duplicate), command, Causation.new()))


async def undo_merge(
    conn: asyncpg.Connection, store: EventStore, duplicate: UUID, now: datetime
) -> int:
    command = UndoMerge(duplicate, "operator", now)
    return len(await execute(conn, store, person, str(duplicate), command, Causation.new()))


async def merged_records(conn: asyncpg.Connection, person_id: UUID) -> list[UUID]:
    """The records merged into a person, and into those, and so on: they go with the person's
    erasure (a merge undone unlinks its record again)."""
    rows = await conn.fetch(
        """
        WITH RECURSIVE merged (person_id) AS (
            SELECT person_id FROM case_members WHERE merged_into = $1 AND status <> 'active'
            UNION
            SELECT c.person_id FROM case_members c JOIN merged m ON c.merged_into = m.person_id
            WHERE c.status <> 'active'
        )
        SELECT person_id FROM merged ORDER BY person_id
        """,
        person_id,
    )
    return [row["person_id"] for row in rows]


async def erase(
    conn: asyncpg.Connection, store: EventStore, vault: Vault, person_id: UUID, now: datetime
) -> int:
    """Erase a person and every record merged into them, in one transaction: each gets its
    event (published: housing and aid forget them too), its key destroyed, and every stored
    request that carried one of them neutralised. Returns how many events were recorded."""
    people = [person_id, *await merged_records(conn, person_id)]
    causation, recorded = Causation.new(), 0
    for one in people:
        command = Erase(one, "operator", now)
        recorded += len(await execute(conn, store, person, str(one), command, causation))
        await vault.destroy_key(conn, one)
    await forget_requests_carrying(conn, people)
    return recorded
