"""Named reads for aid's slip lookup: the beneficiaries whose ids a slip code's range holds."""

from __future__ import annotations

from uuid import UUID

import asyncpg


async def beneficiaries_between(
    conn: asyncpg.Connection, low: UUID, high: UUID, limit: int = 2
) -> list[UUID]:
    """Up to ``limit`` ids of beneficiaries from ``low`` to ``high``: two tell an ambiguous code."""
    rows = await conn.fetch(
        "SELECT person_id FROM beneficiaries WHERE person_id BETWEEN $1 AND $2 LIMIT $3",
        low, high, limit,
    )  # fmt: skip
    return [row["person_id"] for row in rows]
