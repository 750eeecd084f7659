"""Named reads of a partner's own cases for the arrival routes: whether a case is theirs, and
its members (operators: any case). Another partner's case reads as absent."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from services.intake.partners import Partner


async def registered_by(conn: asyncpg.Connection, partner: Partner, arrival_id: UUID) -> bool:
    """Whether the partner registered the arrival (an operator: whether it exists)."""
    own = await conn.fetchval(
        "SELECT true FROM cases WHERE arrival_id = $1 AND ($2 OR partner_id = $3)",
        arrival_id, partner.is_operator, partner.partner_id,
    )  # fmt: skip
    return bool(own)


async def members_of_own_case(
    conn: asyncpg.Connection, partner: Partner, arrival_id: UUID
) -> list[UUID]:
    """The persons of an arrival the partner registered, by id; none for another's case."""
    rows = await conn.fetch(
        "SELECT m.person_id FROM case_members m JOIN cases c USING (arrival_id) "
        "WHERE m.arrival_id = $1 AND ($2 OR c.partner_id = $3) ORDER BY m.person_id",
        arrival_id, partner.is_operator, partner.partner_id,
    )  # fmt: skip
    return [row["person_id"] for row in rows]
