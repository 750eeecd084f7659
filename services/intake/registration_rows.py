"""The read-model rows of a registration written set-based: an arrival, its people's sealed
details, blind index entries, consents and duplicate flags, each table's rows in one write of
the append's own statement (shared.eventstore.SetProjector), so a group of twelve costs the
round trips of one person. The rows are those the read models' folds (case_rows.py,
person_rows.py) make of the append's events, as projections.py and rebuild.py run them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

import asyncpg

from services.intake.events import DuplicateSuspected, PersonalDetailsRecorded
from services.intake.person_rows import INDEX, IndexSource
from services.intake.projections import READ_MODELS, index_of
from services.intake.vault import Vault
from shared.eventstore import Causation
from shared.folds import FoldedTables, FoldsByType
from shared.schemas.base import DomainEvent
from shared.schemas.intake import ArrivalRegistered, ConsentGiven, ConsentWithdrawn
from shared.statement import Write, rows_json

HANDLED = (
    ArrivalRegistered, PersonalDetailsRecorded, ConsentGiven, ConsentWithdrawn, DuplicateSuspected,
)  # fmt: skip

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
#: per table: the columns a registration fills (a new member has not departed nor been merged;
#: a new flag is not resolved)
COLUMNS = {
    table: tuple(typed_column.split()[0] for typed_column in typed.split(", "))
    for table, (typed, _) in TABLES.items()
}


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
        self.models = READ_MODELS
        self._folding = FoldsByType(READ_MODELS)

    def handles(self, event: DomainEvent) -> bool:
        return isinstance(event, HANDLED)

    async def writes(
        self, conn: asyncpg.Connection, events: Sequence[DomainEvent], causation: Causation
    ) -> list[Write]:
        # the append's events folded over no rows: a row the table holds already is met by
        # its ON CONFLICT, which says what the fold says of a row it finds
        folded = FoldedTables(table for model in self.models for table in model.tables)
        for event in events:
            registered = _Registered(event, causation.correlation_id)
            for model in self._folding[type(event)]:
                folded.apply(model.fold(registered, folded))
        writes = []
        for model in self.models:  # a case before its members (checked at the end anyway)
            for table in model.tables:
                if table is INDEX:
                    rows = await self._index(conn, folded.rows(INDEX))
                else:
                    rows = [attrgetter(*COLUMNS[table.name])(row) for row in folded.rows(table)]
                if rows:
                    writes.append(insert(table.name, rows))
        return writes

    async def _index(
        self, conn: asyncpg.Connection, sources: Iterable[IndexSource]
    ) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = []
        for source in sources:
            made = self.vault.fresh_index(source.person_id, source.sealed)
            if made is not None:  # hashed once, when the registration was admitted
                version = self.vault.current
                rows.extend((source.person_id, kind, value, version) for kind, value in made)
                continue
            payload = await self.vault.open(conn, source.person_id, source.sealed)
            if payload is not None:  # erased since: nothing to index, ever again
                rows.extend(index_of(self.vault, source.person_id, payload))
        return rows


@dataclass(frozen=True, slots=True)
class _Registered:
    """A registration's event as its fold sees it: not stored yet, so at no position."""

    event: DomainEvent
    correlation_id: str
    global_position: int = 0
