"""Named reads of aid's support read models that its use cases match and withdraw on: the open
offers and requests as the matching rules see them (``services/aid/domain/matching.py``), a
proposed match, and the matches and requests a withdrawal ends."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg

from services.aid.domain.matching import OfferProfile, RequestProfile
from shared.schemas.aid import OfferKind, SupportKind


@dataclass(frozen=True)
class MatchOf:
    """A proposed match: which request and which offer it joins."""

    match_id: UUID
    request_id: UUID
    offer_id: UUID


async def open_offers(conn: asyncpg.Connection) -> list[OfferProfile]:
    """Every open offer, oldest first (the order the matching rule breaks ties in)."""
    rows = await conn.fetch(
        "SELECT * FROM support_offers WHERE status = 'open' ORDER BY published_at, offer_id"
    )
    return [_offer_profile(row) for row in rows]


def _offer_profile(row: asyncpg.Record) -> OfferProfile:
    return OfferProfile(
        row["offer_id"], OfferKind(row["kind"]), row["country"], row["city"], row["profession"],
        frozenset(row["skills"]), frozenset(row["languages"]),
    )  # fmt: skip


async def open_requests(conn: asyncpg.Connection) -> list[RequestProfile]:
    """Every open request, oldest first."""
    rows = await conn.fetch(
        "SELECT * FROM support_requests WHERE status = 'open' ORDER BY requested_at, request_id"
    )
    return [_request_profile(row) for row in rows]


def _request_profile(row: asyncpg.Record) -> RequestProfile:
    fields: dict[str, Any] = {
        "destination_country": row["destination_country"],
        "destination_city": row["destination_city"],
        "profession": row["profession"],
        "skills": frozenset(row["skills"]),
        "languages": frozenset(row["languages"]),
        "work_countries": frozenset(row["work_countries"]),
        "remote_ok": row["remote_ok"],
    }
    return RequestProfile(row["request_id"], SupportKind(row["kind"]), **fields)


async def proposed_match(conn: asyncpg.Connection, match_id: UUID) -> MatchOf | None:
    row = await conn.fetchrow(
        "SELECT request_id, offer_id FROM support_matches WHERE match_id = $1", match_id
    )
    return None if row is None else MatchOf(match_id, row["request_id"], row["offer_id"])


async def open_matches_of_offer(conn: asyncpg.Connection, offer_id: UUID) -> list[MatchOf]:
    """The offer's matches still proposed or accepted, in the order of their requests."""
    rows = await conn.fetch(
        "SELECT match_id, request_id FROM support_matches "
        "WHERE offer_id = $1 AND status IN ('proposed', 'accepted') ORDER BY request_id",
        offer_id,
    )
    return [MatchOf(row["match_id"], row["request_id"], offer_id) for row in rows]


async def open_requests_of(conn: asyncpg.Connection, person_id: UUID) -> list[UUID]:
    """The person's requests still open or matched, in the order of their ids."""
    rows = await conn.fetch(
        "SELECT request_id FROM support_requests "
        "WHERE person_id = $1 AND status IN ('open', 'matched') ORDER BY request_id",
        person_id,
    )
    return [row["request_id"] for row in rows]
