"""Intake's read models: cases and their members (case_rows.py), sealed details with their
blind index, consents and suspected duplicates (person_rows.py). Each is one fold
(shared.folds); here it runs live over the rows each event touches, in the append's
transaction. A registration's events are projected set-based in the append's own statement
(registration_rows.py) and a rebuild folds every event at once (rebuild.py): the same folds.

Personal details stay sealed in the read model too; search uses blind indexes, written here from
the sealed details the fold says a person is indexed by. Erasure deletes the person's rows, and
a rebuild after erasure cannot bring them back: the key is gone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import asyncpg

from services.intake.case_rows import CASE_MODEL
from services.intake.person_rows import CONSENT_MODEL, DETAILS_MODEL, FLAG_MODEL, INDEX
from services.intake.search import index_entries, stored_details
from services.intake.vault import Vault
from shared.eventstore import Projector
from shared.folds import Change, Put
from shared.projection import FoldedProjection

#: in the order their rows are written (a case before its members)
READ_MODELS = (CASE_MODEL, DETAILS_MODEL, CONSENT_MODEL, FLAG_MODEL)
#: in the order they are emptied (a table before the one it references)
READ_MODEL_TABLES = (
    "duplicate_flags", "consents", "person_index", "person_details", "case_members", "cases",
)  # fmt: skip
INDEX_COLUMNS = ("person_id", "kind", "value", "key_version")
_INDEX_INSERT = f"INSERT INTO person_index ({', '.join(INDEX_COLUMNS)}) VALUES ($1, $2, $3, $4)"


def index_of(vault: Vault, person_id: UUID, payload: Any) -> list[tuple[UUID, str, str, int]]:
    """The blind index rows of a person's opened details: what search and duplicates match,
    under the current master key version."""
    return [
        (person_id, kind, value, vault.current)
        for kind, value in index_entries(vault, stored_details(payload))
    ]


def projector(vault: Vault) -> Projector:
    """The projection of intake's events, one at a time, through the read models' folds; it
    needs the vault to index sealed details. A registration's events are projected by the
    event store's set projector as they are appended (the same folds, set-based) and come here
    only in a replay, folded like any other."""

    async def index(conn: asyncpg.Connection, changes: Sequence[Change]) -> None:
        for change in changes:
            person_id = change.row.person_id if isinstance(change, Put) else change.key
            await conn.execute("DELETE FROM person_index WHERE person_id = $1", person_id)
            if isinstance(change, Put):
                payload = await vault.open(conn, person_id, change.row.sealed)
                if payload is not None:  # erased since: nothing to index, ever again
                    await conn.executemany(_INDEX_INSERT, index_of(vault, person_id, payload))

    return FoldedProjection(READ_MODELS, {INDEX.name: index})
