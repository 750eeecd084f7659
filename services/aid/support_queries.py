"""Reading aid's support read models for the API: requests for the way forward with their
matches, partners' offers, and the matches between them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg


async def support_requests(
    conn: asyncpg.Connection, statuses: Sequence[str], kind: str | None, limit: int
) -> list[dict[str, Any]]:
    """Requests in any of ``statuses`` (of one kind, if given), oldest first, with their
    matches."""
    rows = await conn.fetch(
        """
        SELECT * FROM support_requests WHERE status = ANY($1)
        AND ($2::text IS NULL OR kind = $2) ORDER BY requested_at, request_id LIMIT $3
        """,
        list(statuses), kind, limit,
    )  # fmt: skip
    matches = await conn.fetch(
        "SELECT * FROM support_matches WHERE request_id = ANY($1) ORDER BY proposed_at",
        [row["request_id"] for row in rows],
    )
    return [
        request_json(row, [m for m in matches if m["request_id"] == row["request_id"]])
        for row in rows
    ]


async def support_request(conn: asyncpg.Connection, request_id: UUID) -> dict[str, Any] | None:
    """One request with its matches, or None if no such request was made."""
    row = await conn.fetchrow("SELECT * FROM support_requests WHERE request_id = $1", request_id)
    if row is None:
        return None
    matches = await conn.fetch(
        "SELECT * FROM support_matches WHERE request_id = $1 ORDER BY proposed_at", request_id
    )
    return request_json(row, list(matches))


async def offers(
    conn: asyncpg.Connection, statuses: Sequence[str], kind: str | None, limit: int
) -> list[dict[str, Any]]:
    """Offers in any of ``statuses`` (of one kind, if given), oldest first."""
    rows = await conn.fetch(
        """
        SELECT * FROM support_offers WHERE status = ANY($1)
        AND ($2::text IS NULL OR kind = $2) ORDER BY published_at, offer_id LIMIT $3
        """,
        list(statuses), kind, limit,
    )  # fmt: skip
    return [offer_json(row) for row in rows]


async def offer_exists(conn: asyncpg.Connection, offer_id: UUID) -> bool:
    return bool(await conn.fetchval("SELECT 1 FROM support_offers WHERE offer_id = $1", offer_id))


async def matches(
    conn: asyncpg.Connection, statuses: Sequence[str], limit: int
) -> list[dict[str, Any]]:
    """Matches in any of ``statuses``, oldest first."""
    rows = await conn.fetch(
        "SELECT * FROM support_matches WHERE status = ANY($1) "
        "ORDER BY proposed_at, match_id LIMIT $2",
        list(statuses), limit,
    )  # fmt: skip
    return [match_json(row) for row in rows]


async def match(conn: asyncpg.Connection, match_id: UUID) -> dict[str, Any] | None:
    row = await conn.fetchrow("SELECT * FROM support_matches WHERE match_id = $1", match_id)
    return None if row is None else match_json(row)


def request_json(row: asyncpg.Record, matches: list[asyncpg.Record]) -> dict[str, Any]:
    return {
        "request_id": str(row["request_id"]),
        "person_id": str(row["person_id"]),
        "kind": row["kind"],
        "status": row["status"],
        "destination_country": row["destination_country"],
        "destination_city": row["destination_city"],
        "documents_held": list(row["documents_held"]),
        "wanted_on": _iso(row["wanted_on"]),
        "profession": row["profession"],
        "skills": list(row["skills"]),
        "languages": list(row["languages"]),
        "work_countries": list(row["work_countries"]),
        "remote_ok": row["remote_ok"],
        "note": row["note"],
        "requested_at": row["requested_at"].isoformat(),
        "closed_at": _iso(row["closed_at"]),
        "withdrawn_reason": row["withdrawn_reason"],
        "matches": [match_json(match) for match in matches],
    }


def offer_json(row: asyncpg.Record) -> dict[str, Any]:
    return {
        "offer_id": str(row["offer_id"]),
        "kind": row["kind"],
        "status": row["status"],
        "country": row["country"],
        "city": row["city"],
        "profession": row["profession"],
        "skills": list(row["skills"]),
        "languages": list(row["languages"]),
        "places": row["places"],
        "places_taken": row["places_taken"],
        "partner": row["partner"],
        "title": row["title"],
        "description": row["description"],
        "contact": row["contact"],
        "available_until": _iso(row["available_until"]),
        "published_at": row["published_at"].isoformat(),
    }


def match_json(row: asyncpg.Record) -> dict[str, Any]:
    return {
        "match_id": str(row["match_id"]),
        "request_id": str(row["request_id"]),
        "offer_id": str(row["offer_id"]),
        "basis": row["basis"],
        "status": row["status"],
        "proposed_at": row["proposed_at"].isoformat(),
        "updated_at": row["updated_at"].isoformat(),
        "withdrawn_reason": row["withdrawn_reason"],
    }


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
