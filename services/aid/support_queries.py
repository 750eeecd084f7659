"""Reading aid's support read models for the API: requests for the way forward with their
matches, partners' offers, and the matches between them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any
from uuid import UUID

import asyncpg

#: what an answer shows of a request, an offer, a match, in this order (an offer's row holds
#: more: when it was withdrawn)
REQUEST_COLUMNS = """
    request_id, person_id, kind, status, destination_country, destination_city, documents_held,
    wanted_on, profession, skills, languages, work_countries, remote_ok, note, requested_at,
    closed_at, withdrawn_reason
"""
OFFER_COLUMNS = """
    offer_id, kind, status, country, city, profession, skills, languages, places, places_taken,
    partner, title, description, contact, available_until, published_at
"""
MATCH_COLUMNS = """
    match_id, request_id, offer_id, basis, status, proposed_at, updated_at, withdrawn_reason
"""


async def support_requests(
    conn: asyncpg.Connection, statuses: Sequence[str], kind: str | None, limit: int
) -> list[dict[str, Any]]:
    """Requests in any of ``statuses`` (of one kind, if given), oldest first, with their
    matches."""
    rows = await _by_status(
        conn, "support_requests", REQUEST_COLUMNS, "requested_at, request_id", statuses, kind, limit
    )
    matches = await conn.fetch(
        f"SELECT {MATCH_COLUMNS} FROM support_matches WHERE request_id = ANY($1) "
        "ORDER BY proposed_at",
        [row["request_id"] for row in rows],
    )
    return [
        request_json(row, [m for m in matches if m["request_id"] == row["request_id"]])
        for row in rows
    ]


async def support_request(conn: asyncpg.Connection, request_id: UUID) -> dict[str, Any] | None:
    """One request with its matches, or None if no such request was made."""
    row = await conn.fetchrow(
        f"SELECT {REQUEST_COLUMNS} FROM support_requests WHERE request_id = $1", request_id
    )
    if row is None:
        return None
    matches = await conn.fetch(
        f"SELECT {MATCH_COLUMNS} FROM support_matches WHERE request_id = $1 ORDER BY proposed_at",
        request_id,
    )
    return request_json(row, list(matches))


async def offers(
    conn: asyncpg.Connection, statuses: Sequence[str], kind: str | None, limit: int
) -> list[dict[str, Any]]:
    """Offers in any of ``statuses`` (of one kind, if given), oldest first."""
    rows = await _by_status(
        conn, "support_offers", OFFER_COLUMNS, "published_at, offer_id", statuses, kind, limit
    )
    return [as_json(row) for row in rows]


async def _by_status(
    conn: asyncpg.Connection,
    table: str,
    columns: str,
    oldest_first: str,
    statuses: Sequence[str],
    kind: str | None,
    limit: int,
) -> list[asyncpg.Record]:
    """The rows of a support table in any of ``statuses`` (of one kind, if given), oldest
    first (``oldest_first`` names the columns that order them)."""
    rows: list[asyncpg.Record] = await conn.fetch(
        f"""
        SELECT {columns} FROM {table} WHERE status = ANY($1)
        AND ($2::text IS NULL OR kind = $2) ORDER BY {oldest_first} LIMIT $3
        """,
        list(statuses), kind, limit,
    )  # fmt: skip
    return rows


async def offer_exists(conn: asyncpg.Connection, offer_id: UUID) -> bool:
    return bool(await conn.fetchval("SELECT 1 FROM support_offers WHERE offer_id = $1", offer_id))


async def matches(
    conn: asyncpg.Connection, statuses: Sequence[str], limit: int
) -> list[dict[str, Any]]:
    """Matches in any of ``statuses``, oldest first."""
    rows = await conn.fetch(
        f"SELECT {MATCH_COLUMNS} FROM support_matches WHERE status = ANY($1) "
        "ORDER BY proposed_at, match_id LIMIT $2",
        list(statuses), limit,
    )  # fmt: skip
    return [as_json(row) for row in rows]


async def match(conn: asyncpg.Connection, match_id: UUID) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        f"SELECT {MATCH_COLUMNS} FROM support_matches WHERE match_id = $1", match_id
    )
    return None if row is None else as_json(row)


def request_json(row: asyncpg.Record, matches: list[asyncpg.Record]) -> dict[str, Any]:
    return {**as_json(row), "matches": [as_json(match) for match in matches]}


def as_json(row: asyncpg.Record) -> dict[str, Any]:
    """A row as the API shows it: ids as text, dates and times in ISO 8601, the rest (text,
    numbers, lists of text, null) as stored."""
    return {column: _json_value(value) for column, value in row.items()}


def _json_value(value: Any) -> Any:
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, date):  # a datetime is a date too
        return value.isoformat()
    return value
