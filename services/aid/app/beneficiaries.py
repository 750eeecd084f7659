"""Aid's use cases driven by intake's and housing's events: who a person is (household,
vulnerability), whether they live at a shelter, and when their entitlements end."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

import asyncpg

from services.aid.app.erasure import forget_beneficiary
from services.aid.app.support import withdraw_requests_of
from services.aid.domain.beneficiary import (
    BeneficiaryCommand,
    CheckOutReason,
    CloseEntitlements,
    EndResidency,
    ForgetBeneficiary,
    RecordResident,
    RegisterBeneficiary,
    UpdateBeneficiaryFacts,
    beneficiary,
)
from services.aid.domain.residency import StayEnded, why_stay_ended
from services.aid.erased_persons import erased_among
from shared.decider import decide_on_streams, execute
from shared.eventstore import Causation, EventStore, event_metadata
from shared.schemas.base import DomainEvent
from shared.schemas.housing import BedAssigned, PersonCheckedIn
from shared.schemas.intake import (
    ArrivalRegistered,
    ConsentGiven,
    ConsentPurpose,
    ConsentWithdrawn,
    MergeUndone,
    PersonFactsCorrected,
    passes_by,
)

ACTOR = "service:aid"


async def _decide_on_person(
    conn: asyncpg.Connection, store: EventStore, command: BeneficiaryCommand, causation: Causation
) -> None:
    """Every command about a person is decided on that person's own stream."""
    await execute(conn, store, beneficiary, str(command.person_id), command, causation)


async def register_arrival(
    conn: asyncpg.Connection,
    store: EventStore,
    arrival: ArrivalRegistered | MergeUndone,
    causation: Causation,
    now: datetime,
) -> None:
    """Every member who agreed to aid becomes known to aid, in the household of their arrival;
    a record restored from a merge is a person of its own again. Of those who did not agree
    aid keeps only that: it issues them nothing. Members erased already are left out."""
    members = arrival.members if isinstance(arrival, ArrivalRegistered) else (arrival.member,)
    erased = await erased_among(conn, [member.person_id for member in members])
    metadata = event_metadata(causation)
    commands = arrival_commands(arrival, erased, now)
    await decide_on_persons(conn, store, [(command, metadata) for command in commands])


def arrival_commands(
    arrival: ArrivalRegistered | MergeUndone, erased: Collection[UUID], now: datetime
) -> list[BeneficiaryCommand]:
    """``register_arrival``'s commands, one per member not ``erased``."""
    members = arrival.members if isinstance(arrival, ArrivalRegistered) else (arrival.member,)
    agreed = arrival.agreed_to(ConsentPurpose.AID)
    return [
        RegisterBeneficiary(
            member.person_id, arrival.arrival_id, member.age_band, member.needs, ACTOR, now
        )
        if agreed
        else ForgetBeneficiary(member.person_id, ACTOR, now, on_arrival=True)
        for member in members
        if member.person_id not in erased
    ]


#: a command about one person, with what its events record of why (``event_metadata``: the
#: causation and the trace of the event that caused it, taken while that event is handled)
PersonDecision = tuple[BeneficiaryCommand, dict[str, Any]]


async def decide_on_persons(
    conn: asyncpg.Connection, store: EventStore, decisions: Sequence[PersonDecision]
) -> None:
    """Commands about several persons, each decided on the person's own stream as the ones
    before it left it: the streams read in one statement and appended in one (with their read
    models' rows, services/aid/projections.py), whatever their number. Taken in one by one,
    an arrival of five cost twenty round trips."""
    await decide_on_streams(
        conn, store, beneficiary,
        [(str(command.person_id), command, metadata) for command, metadata in decisions],
    )  # fmt: skip


async def consent_changed(
    conn: asyncpg.Connection,
    store: EventStore,
    change: ConsentGiven | ConsentWithdrawn,
    causation: Causation,
    now: datetime,
) -> None:
    """A consent to aid given after registration: the person is registered as new, in their
    arrival's household. Withdrawn: their entitlements close, open requests end, aid forgets
    their facts and what their requests said. A consent that came with the arrival carries no
    facts: the arrival does."""
    if passes_aid_by(change):
        return
    person_id = change.person_id
    if isinstance(change, ConsentWithdrawn):
        await forget_beneficiary(conn, store, person_id, causation, now)
    elif change.member is not None and change.arrival_id is not None:
        member = change.member
        command = RegisterBeneficiary(person_id, change.arrival_id, member.age_band,
                                      member.needs, ACTOR, now, on_consent=True)  # fmt: skip
        await _decide_on_person(conn, store, command, causation)


def passes_aid_by(event: DomainEvent) -> bool:
    """A consent aid does nothing with (shared.schemas.intake.passes_by)."""
    return passes_by(event, ConsentPurpose.AID)


async def correct_facts(
    conn: asyncpg.Connection,
    store: EventStore,
    corrected: PersonFactsCorrected,
    causation: Causation,
    now: datetime,
) -> None:
    command = UpdateBeneficiaryFacts(
        corrected.person_id, corrected.age_band, corrected.needs, ACTOR, now
    )
    await _decide_on_person(conn, store, command, causation)


async def record_resident(
    conn: asyncpg.Connection,
    store: EventStore,
    stay: BedAssigned | PersonCheckedIn,
    causation: Causation,
    now: datetime,
) -> None:
    """A bed held for the person (entitled to food from the first night), or their check-in
    (a resident, for resident-only items)."""
    await _decide_on_person(conn, store, resident_command(stay, now), causation)


def resident_command(stay: BedAssigned | PersonCheckedIn, now: datetime) -> RecordResident:
    checked_in = isinstance(stay, PersonCheckedIn)
    return RecordResident(stay.person_id, stay.shelter_id, ACTOR, now, checked_in)


async def end_residency(
    conn: asyncpg.Connection,
    store: EventStore,
    person_id: UUID,
    shelter_id: UUID,
    reason: CheckOutReason,
    causation: Causation,
    now: datetime,
) -> None:
    command = EndResidency(person_id, shelter_id, reason, ACTOR, now)
    await _decide_on_person(conn, store, command, causation)


def leaving_command(stay: StayEnded, now: datetime) -> EndResidency:
    """``end_residency``'s command for housing's event that ended a stay."""
    return EndResidency(stay.person_id, stay.shelter_id, why_stay_ended(stay), ACTOR, now)


async def close_entitlements(
    conn: asyncpg.Connection,
    store: EventStore,
    person_id: UUID,
    reason: Literal["departed", "merged"],
    causation: Causation,
    now: datetime,
) -> None:
    """The person left, or was a duplicate: nothing more is issued, open requests end."""
    await _decide_on_person(conn, store, closing_command(person_id, reason, now), causation)
    await withdraw_requests_of(conn, store, person_id, reason, causation, now)


def closing_command(
    person_id: UUID, reason: Literal["departed", "merged"], now: datetime
) -> CloseEntitlements:
    """``close_entitlements``'s command."""
    return CloseEntitlements(person_id, reason, ACTOR, now)
