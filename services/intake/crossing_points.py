"""The border crossing points arrivals may name: a managed list the coordination centre adds
to. An arrival names a code from it, and only the code is published (intake.events.v2), so
nothing a partner types freely reaches the topic; a point's name for people stays here."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import asyncpg

#: where a partner finds the codes, named in every refusal of an unknown one
LISTED_AT = "GET /v1/crossing-points"


async def listed(conn: asyncpg.Connection) -> list[dict[str, Any]]:
    rows = await conn.fetch("SELECT code, name FROM crossing_points ORDER BY code")
    return [dict(row) for row in rows]


async def unknown_among(conn: asyncpg.Connection, codes: Iterable[str]) -> set[str]:
    """The codes that are not on the list."""
    wanted = set(codes)
    known = await conn.fetch(
        "SELECT code FROM crossing_points WHERE code = ANY($1::text[])", list(wanted)
    )
    return wanted - {row["code"] for row in known}


async def add(conn: asyncpg.Connection, code: str, name: str, actor: str) -> bool:
    """Add a crossing point; False when the code exists already (its name is left as is)."""
    added = await conn.fetchval(
        """
        INSERT INTO crossing_points (code, name, added_by) VALUES ($1, $2, $3)
        ON CONFLICT (code) DO NOTHING RETURNING true
        """,
        code,
        name,
        actor,
    )
    return bool(added)


def unknown_code_error(pointer: str, code: str) -> dict[str, str]:
    """One entry of a problem's ``errors``: which field, and where the codes are listed."""
    return {
        "pointer": pointer,
        "detail": f"{code!r} is not a known crossing point: use a code {LISTED_AT} lists, or "
        f"ask the coordination centre to add it",
    }
