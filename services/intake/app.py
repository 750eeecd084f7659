"""Intake's use cases: load, decide, append, through the shared loop."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

import asyncpg
from pydantic import ValidationError

from services.intake.admission import admit
from services.intake.arrival_people import people_of
from services.intake.domain.arrival import RegisterArrival, age_band, age_on, arrival
from services.intake.domain.person import (
    ChangeConsent,
    CorrectDetails,
    Erase,
    MergeInto,
    RegisterDeparture,
    UndoMerge,
    person,
)
from services.intake.known_keys import KeyNoLongerValid
from services.intake.partners import Partner
from services.intake.person_queries import merged_records, sealed_details
from services.intake.placements import forget_placements
from services.intake.requests import (
    ArrivalAccepted,
    ArrivalRequest,
    ConsentChange,
    Correction,
    NewPerson,
    born_after_arrival,
)
from services.intake.search import details_of, index_entries, indexed
from services.intake.vault import Vault, keys_written
from shared.decider import execute
from shared.decision import DomainError
from shared.eventstore import Causation, EventStore
from shared.idempotency import Claim, StoredAnswer, answer_text, forget_requests_carrying
from shared.schemas.intake import ArrivingMember, ConsentPurpose, DepartureReason


class InvalidCorrection(ValueError):
    """The corrected value fails the person's field checks: the request is invalid, nothing was
    decided (so, unlike a refusal, it is not kept with the request's Idempotency-Key)."""

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


class UnknownCrossingPoint(DomainError):
    """The arrival names a crossing point that is not on the list."""


async def register_arrival(
    conn: asyncpg.Connection,
    store: EventStore,
    vault: Vault,
    partner: Partner,
    request: ArrivalRequest,
    now: datetime,
    claim: Claim,
) -> StoredAnswer:
    """Record an arrival once per idempotency key: the coarse event for the topic, each
    person's details sealed. Four round trips in one transaction, whatever the group's size:
    BEGIN; the caller's key checked again and the idempotency key's claim with every lookup
    (admission.py); every event, read-model row, key and the answer to remember; COMMIT."""
    # each person's blind index, hashed once: looked up here, written with the registration
    indexed_members = [index_entries(vault, indexed(details)) for details in request.members]
    arrival_id = uuid4()
    person_ids = [uuid4() for _ in request.members]
    causation = Causation.new()
    ahead = ids_ahead(arrival_id, person_ids, causation)
    admission = await admit(conn, vault, partner, request, claim.write(ahead), indexed_members)
    if not admission.authorised:  # revoked since it was kept: nothing of this is committed
        raise KeyNoLongerValid(partner.partner_id)
    if not admission.claimed:
        return await claim.earlier_answer(conn)
    if not admission.listed:  # checked once per key, not on a retry: codes are never removed
        raise UnknownCrossingPoint(request.crossing_point)
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
    # new streams: decided on their initial states, and the append refuses if one existed
    appends, keys, flagged = people_of(
        vault, partner, request, arrival_id, members, admission, now, indexed_members
    )
    appends.insert(0, (str(arrival_id), 0, arrival.decide(command, arrival.initial_state)))
    answer = ArrivalAccepted(
        arrival_id=str(arrival_id),
        person_ids=[str(person_id) for person_id in person_ids],
        correlation_id=causation.correlation_id,
        possible_duplicates=flagged,
        not_informed=not_informed(person_ids, command.consents),
    ).model_dump(mode="json")
    text = answer_text(answer)  # encoded once: remembered with the key, and the reply's body
    await store.append_streams(
        conn, appends, causation, alongside=[keys_written(keys), claim.answer(201, answer, text)]
    )
    return StoredAnswer(201, answer, replayed=False, text=text)


def ids_ahead(arrival_id: UUID, person_ids: list[UUID], causation: Causation) -> dict[str, Any]:
    """The ids of an arrival's answer, made before its work runs: claimed with the key, so that
    remembering the answer rewrites the key's row in place (shared/idempotency.py,
    Claim.write)."""
    return {
        "arrival_id": str(arrival_id),
        "person_ids": [str(person_id) for person_id in person_ids],
        "correlation_id": causation.correlation_id,
    }


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
    found = await sealed_details(conn, person_id)
    payload = await vault.open(conn, person_id, found.sealed) if found else None
    if found is None or payload is None:
        raise DomainError("this person's details are erased or unknown; nothing to correct")
    current = details_of(payload).model_dump(mode="json")
    old = current.get(correction.field)
    try:
        corrected = NewPerson.model_validate({**current, correction.field: correction.value})
        if issues := born_after_arrival(corrected.birth_date, found.arrival_date, ("birth_date",)):
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
    facts = coarse(corrected, person_id, found.arrival_date)
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


async def erase(
    conn: asyncpg.Connection, store: EventStore, vault: Vault, person_id: UUID, now: datetime
) -> int:
    """Erase a person and every record merged into them, in one transaction: each gets its
    event (published: housing and aid forget them too), its key destroyed, and every stored
    request that carried one of them neutralised, and where housing placed them forgotten.
    Returns how many events were recorded."""
    people = [person_id, *await merged_records(conn, person_id)]
    causation, recorded = Causation.new(), 0
    for one in people:
        command = Erase(one, "operator", now)
        recorded += len(await execute(conn, store, person, str(one), command, causation))
        await vault.destroy_key(conn, one)
    await forget_requests_carrying(conn, people)
    await forget_placements(conn, people)
    return recorded
