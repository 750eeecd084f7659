"""Intake's read models rebuilt (shared.rebuild): every event folded in memory by the folds the
live projection runs (projections.READ_MODELS), then each table written with COPY.

Personal details are handled as the live projection handles them: sealed in person_details,
opened only to compute the blind index, never logged; an erased person's details are dropped,
and their key is gone, so nothing of them is indexed again.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

import asyncpg

from services.intake.person_rows import INDEX, IndexSource
from services.intake.projections import INDEX_COLUMNS, READ_MODELS, index_of
from services.intake.vault import Vault
from shared.rebuild import FoldedReadModels


class IntakeReadModels(FoldedReadModels):
    """A fresh fold of intake's read models, for one rebuild; it needs the vault to index
    sealed details."""

    def __init__(self, vault: Vault) -> None:
        # a function of the vault, not a method: a bound method would make the fold a cycle,
        # which only the cyclic collector frees, walking every row the fold held
        super().__init__(READ_MODELS, {INDEX.name: partial(_index, vault)})
        self.vault = vault


async def _index(vault: Vault, conn: asyncpg.Connection, sources: Iterable[IndexSource]) -> None:
    # each person's details are opened only as COPY reaches them, and dropped once indexed: no
    # plaintext piles up in memory
    opened = await vault.open_each(conn, {source.person_id: source.sealed for source in sources})
    await conn.copy_records_to_table(
        INDEX.name,
        records=(row for person_id, payload in opened
                 for row in index_of(vault, person_id, payload)),
        columns=INDEX_COLUMNS,
    )  # fmt: skip
