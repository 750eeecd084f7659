"""Intake's read models, projected from its events (public and internal).

Personal details stay sealed in the read model too; search uses blind indexes. Erasure deletes
the person's rows, and a rebuild after erasure cannot bring them back: the key is gone.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

from services.intake.events import (
    DuplicateSuspected,
    PersonalDetailsCorrected,
    PersonalDetailsRecorded,
)
from services.intake.search import details_of, index_entries
from services.intake.vault import Vault
from shared.appending import SetProjector
from shared.eventstore import Causation, Projector, RecordedEvent
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
from shared.statement import Write, compose

READ_MODEL_TABLES = (
    "duplicate_flags", "consents", "person_index", "person_details", "case_members", "cases",
)  # fmt: skip

# Rows as both the live projection and the rebuild (services/intake/rebuild.py) write them,
# each in the order of its table's columns.
CASE_COLUMNS = (
    "arrival_id", "partner_id", "member_count", "keep_together", "arrival_date",
    "crossing_point", "registered_at", "correlation_id",
)  # fmt: skip
INDEX_COLUMNS = ("person_id", "kind", "value", "key_version")
#: what an erasure deletes of a person, in this order: the details first, as a correction and a
#: rewrap batch (rotation.py) take them, so the delete waits for a batch holding them and the
#: index is deleted once the batch committed. Index first, the delete would look before the
#: batch's new entries existed, wait on its old ones, and leave the new ones to an erased person
ERASED_ROWS = ("person_details", "person_index")
_INDEX_INSERT = f"INSERT INTO person_index ({', '.join(INDEX_COLUMNS)}) VALUES ($1, $2, $3, $4)"
CONSENT_COLUMNS = ("person_id", "purpose", "partner_id", "given", "changed_at")


def case_of(recorded: RecordedEvent) -> tuple[Any, ...]:
    """An arrival as a case: who registered it, when and where, how many came."""
    event = recorded.event
    assert isinstance(event, ArrivalRegistered)
    return case_row(event, recorded.correlation_id)


def case_row(event: ArrivalRegistered, correlation_id: str) -> tuple[Any, ...]:
    """The case of an arrival appended under ``correlation_id``."""
    return (
        event.arrival_id, event.partner_id, len(event.members), event.keep_together,
        event.arrival_date, event.crossing_point, event.occurred_at, correlation_id,
    )  # fmt: skip


def members_of(event: ArrivalRegistered) -> list[tuple[Any, ...]]:
    """The arrival's people, each as a case member who is active."""
    return [
        (m.person_id, event.arrival_id, m.age_band.value, m.sex.value, m.relation.value,
         [need.value for need in m.needs], list(m.languages), "active")
        for m in event.members
    ]  # fmt: skip


def facts_of(event: PersonFactsCorrected) -> tuple[str, str, list[str], list[str]]:
    """A correction's age band, sex, needs and languages."""
    return (
        event.age_band.value, event.sex.value, [need.value for need in event.needs],
        list(event.languages),
    )  # fmt: skip


def sealed_details_of(event: PersonalDetailsRecorded) -> tuple[Any, ...]:
    """A person's details as recorded: still sealed, with where they came from."""
    return (
        event.person_id, event.arrival_id, event.partner_id, event.member_index, event.sealed,
        event.occurred_at,
    )  # fmt: skip


def consent_of(event: ConsentGiven | ConsentWithdrawn) -> tuple[Any, ...]:
    """A consent as it stands after the event; one given to no partner in particular is kept
    under the partner ''."""
    return (
        event.person_id, event.purpose.value, event.partner_id or "",
        isinstance(event, ConsentGiven), event.occurred_at,
    )  # fmt: skip


def flag_of(event: DuplicateSuspected) -> tuple[Any, ...]:
    """A suspected duplicate, not yet resolved."""
    return event.person_id, event.candidate_person_id, event.rule, event.occurred_at


def index_of(vault: Vault, person_id: UUID, payload: Any) -> list[tuple[UUID, str, str, int]]:
    """The blind index rows of a person's opened details: what search and duplicates match,
    under the current master key version."""
    return [
        (person_id, kind, value, vault.current)
        for kind, value in index_entries(vault, details_of(payload))
    ]


def projector(vault: Vault, registration: SetProjector) -> Projector:
    """The projection of intake's events, one at a time; it needs the vault to index sealed
    details. A registration's events are projected set-based (registration_rows.py) in the
    append's statement; here, for a replay, through the same writes."""

    async def project(conn: asyncpg.Connection, recorded: RecordedEvent) -> None:
        event = recorded.event
        if registration.handles(event):
            causation = Causation(recorded.correlation_id)
            writes = await registration.writes(conn, [event], causation)
            parts = [(f"projected_{index}", write) for index, write in enumerate(writes)]
            sql, args = compose(parts, Write("SELECT 1"))
            await conn.execute(sql, *args)
        elif isinstance(event, PersonalDetailsCorrected):
            await conn.execute(
                "UPDATE person_details SET sealed = $2, updated_at = $3 WHERE person_id = $1",
                event.person_id, event.sealed, event.occurred_at,
            )  # fmt: skip
            await conn.execute("DELETE FROM person_index WHERE person_id = $1", event.person_id)
            payload = await vault.open(conn, event.person_id, event.sealed)
            if payload is not None:  # erased since: nothing to index, ever again
                await conn.executemany(_INDEX_INSERT, index_of(vault, event.person_id, payload))
        elif isinstance(event, PersonFactsCorrected):
            await conn.execute(
                """
                UPDATE case_members SET age_band = $2, sex = $3, needs = $4, languages = $5
                WHERE person_id = $1
                """,
                event.person_id, *facts_of(event),
            )  # fmt: skip
        elif isinstance(event, PersonDeparted):
            await conn.execute(
                "UPDATE case_members SET status = 'departed', departure_reason = $2 "
                "WHERE person_id = $1",
                event.person_id, event.reason.value,
            )  # fmt: skip
        elif isinstance(event, PersonsMerged):
            await conn.execute(
                "UPDATE case_members SET status = 'merged', merged_into = $2 WHERE person_id = $1",
                event.duplicate_person_id, event.kept_person_id,
            )  # fmt: skip
            await conn.execute(
                "UPDATE duplicate_flags SET resolution = 'merged' WHERE person_id = $1 "
                "AND candidate_person_id = $2",
                event.duplicate_person_id, event.kept_person_id,
            )  # fmt: skip
        elif isinstance(event, MergeUndone):
            await conn.execute(
                "UPDATE case_members SET status = 'active', merged_into = NULL "
                "WHERE person_id = $1",
                event.duplicate_person_id,
            )
            await conn.execute(
                "UPDATE duplicate_flags SET resolution = 'not_a_duplicate' WHERE person_id = $1 "
                "AND candidate_person_id = $2",
                event.duplicate_person_id, event.kept_person_id,
            )  # fmt: skip
        elif isinstance(event, PersonErased):
            for table in ERASED_ROWS:
                await conn.execute(f"DELETE FROM {table} WHERE person_id = $1", event.person_id)
            await conn.execute(
                "DELETE FROM duplicate_flags WHERE $1 IN (person_id, candidate_person_id)",
                event.person_id,
            )
            await conn.execute(
                "UPDATE case_members SET status = 'erased' WHERE person_id = $1", event.person_id
            )

    return project
