"""The read-model rows of a registration written set-based: an arrival, its people's sealed
details, blind index entries, consents and duplicate flags, each table's rows in one write of
the append's own statement (shared.eventstore.SetProjector), so a group of twelve costs the
round trips of one person. The rows are those projections.py and rebuild.py write."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg

from services.intake.events import DuplicateSuspected, PersonalDetailsRecorded
from services.intake.projections import (
    CASE_COLUMNS,
    CONSENT_COLUMNS,
    INDEX_COLUMNS,
    case_row,
    consent_of,
    flag_of,
    index_of,
    members_of,
    sealed_details_of,
)
from services.intake.vault import Vault
from shared.eventstore import Causation
from shared.schemas.base import DomainEvent
from shared.schemas.intake import ArrivalRegistered, ConsentGiven, ConsentWithdrawn
from shared.statement import Write, rows_json

HANDLED = (
    ArrivalRegistered, PersonalDetailsRecorded, ConsentGiven, ConsentWithdrawn, DuplicateSuspected,
)  # fmt: skip

MEMBER_COLUMNS = (
    "person_id", "arrival_id", "age_band", "sex", "relation", "needs", "languages", "status",
)  # fmt: skip
DETAIL_COLUMNS = (
    "person_id", "arrival_id", "partner_id", "member_index", "sealed", "updated_at",
)  # fmt: skip
FLAG_COLUMNS = ("person_id", "candidate_person_id", "rule", "flagged_at")

#: per table: its columns with their types, and what a row that exists already does
TABLES: dict[str, tuple[str, str]] = {
    "cases": (
        "arrival_id uuid, partner_id text, member_count int, keep_together bool, "
        "arrival_date date, crossing_point text, registered_at timestamptz, correlation_id text",
        "ON CONFLICT (arrival_id) DO NOTHING",
    ),
    "case_members": (
        "person_id uuid, arrival_id uuid, age_band text, sex text, relation text, needs text[], "
        "languages text[], status text",
        "ON CONFLICT (person_id) DO NOTHING",
    ),
    "person_details": (
        "person_id uuid, arrival_id uuid, partner_id text, member_index int, sealed text, "
        "updated_at timestamptz",
        "ON CONFLICT (person_id) DO NOTHING",
    ),
    "person_index": ("person_id uuid, kind text, value text, key_version smallint", ""),
    # a consent as it stands after its latest event
    "consents": (
        "person_id uuid, purpose text, partner_id text, given bool, changed_at timestamptz",
        "ON CONFLICT (person_id, purpose, partner_id) "
        "DO UPDATE SET given = EXCLUDED.given, changed_at = EXCLUDED.changed_at",
    ),
    "duplicate_flags": (
        "person_id uuid, candidate_person_id uuid, rule text, flagged_at timestamptz",
        "ON CONFLICT DO NOTHING",
    ),
}
COLUMNS = {
    "cases": CASE_COLUMNS, "case_members": MEMBER_COLUMNS, "person_details": DETAIL_COLUMNS,
    "person_index": INDEX_COLUMNS, "consents": CONSENT_COLUMNS, "duplicate_flags": FLAG_COLUMNS,
}  # fmt: skip


def insert(table: str, rows: Sequence[Sequence[Any]]) -> Write:
    """All of one table's new rows as one write."""
    typed, on_conflict = TABLES[table]
    columns = ", ".join(COLUMNS[table])
    return Write(
        f"INSERT INTO {table} ({columns}) SELECT {columns} "
        f"FROM jsonb_to_recordset({{0}}::jsonb) AS r({typed}) {on_conflict}",
        (rows_json(COLUMNS[table], rows),),
    )


class RegistrationRows:
    """Intake's set projector (shared.eventstore.SetProjector); it needs the vault to index
    sealed details."""

    def __init__(self, vault: Vault) -> None:
        self.vault = vault

    def handles(self, event: DomainEvent) -> bool:
        return isinstance(event, HANDLED)

    async def writes(
        self, conn: asyncpg.Connection, events: Sequence[DomainEvent], causation: Causation
    ) -> list[Write]:
        rows: dict[str, list[tuple[Any, ...]]] = {table: [] for table in TABLES}
        consents: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        for event in events:
            if isinstance(event, ArrivalRegistered):
                rows["cases"].append(case_row(event, causation.correlation_id))
                rows["case_members"].extend(members_of(event))
            elif isinstance(event, PersonalDetailsRecorded):
                rows["person_details"].append(sealed_details_of(event))
                payload = await self.vault.open(conn, event.person_id, event.sealed)
                if payload is not None:  # erased since: nothing to index, ever again
                    rows["person_index"].extend(index_of(self.vault, event.person_id, payload))
            elif isinstance(event, ConsentGiven | ConsentWithdrawn):
                consent = consent_of(event)
                consents.pop(consent[:3], None)  # the latest stands, in its own place
                consents[consent[:3]] = consent
            elif isinstance(event, DuplicateSuspected):
                rows["duplicate_flags"].append(flag_of(event))
        rows["consents"] = list(consents.values())
        # a case before its members (the foreign key is checked at the statement's end anyway)
        return [insert(table, found) for table, found in rows.items() if found]
