"""Named reads of aid's support read models that its use cases match and withdraw on: the open
offers and requests that can fit a new request or offer best, as the matching rules see them
(``services/aid/domain/matching.py``), a proposed match, and the matches and requests a
withdrawal ends."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg

from services.aid.domain.matching import (
    MAX_PROPOSALS,
    TRAVEL_OFFERS,
    OfferProfile,
    RequestProfile,
    place_key,
)
from shared.schemas.aid import OfferKind, SupportKind


@dataclass(frozen=True)
class MatchOf:
    """A proposed match: which request and which offer it joins."""

    match_id: UUID
    request_id: UUID
    offer_id: UUID


#: the columns matching reads (services.aid.domain.matching.fit)
OFFER = "offer_id, kind, country, city, profession, skills, languages"
REQUEST = (
    "request_id, kind, destination_country, destination_city, profession, skills, languages, "
    "work_countries, remote_ok"
)

# Each read below returns, in the matching rule's order, every open row that can be among the
# MAX_PROPOSALS best for one new request or offer, and few others: the rule itself (``fit``,
# ``offers_for``, ``requests_for``) still decides on them, as it did on every open row when
# those were all read (tests/integration/test_aid_matching_reads.py holds the two to the same
# answer). A destination: those for its city first (score 2), then those naming no city
# (score 1), each in order of time and id and each from its own index, as far as MAX_PROPOSALS.
# A profession or skills: the rule's score computed by the database, best first.

DESTINATION_OFFERS = """
SELECT {columns}, published_at AS at, offer_id AS id FROM support_offers
WHERE status = 'open' AND kind IN ('ride', 'ticket') AND country = $1 AND {city}
ORDER BY published_at, offer_id LIMIT $3
"""
DESTINATION_REQUESTS = """
SELECT {columns}, requested_at AS at, request_id AS id FROM support_requests
WHERE status = 'open' AND kind = 'onward_travel' AND destination_country = $1 AND {city}
ORDER BY requested_at, request_id LIMIT $3
"""
#: the city conditions, in the order their rows rank: the same city, then none named; with no
#: city of its own, every row of the country fits alike
BY_CITY, BY_COUNTRY = ("{key} = $2", "{key} IS NULL"), ("$2::text IS NULL",)


def _ranked(query: str, columns: str, key: str, cities: tuple[str, ...]) -> str:
    """One statement: each city condition's first rows (from its own index), best rank first."""
    branches = [
        f"SELECT {len(cities) - number} AS rank, * FROM ("
        f"{query.format(columns=columns, city=city.format(key=key))}) b{number}"
        for number, city in enumerate(cities)
    ]
    return " UNION ALL ".join(branches) + " ORDER BY rank DESC, at, id"


#: (with a city, without) for each side
OFFERS_TO = tuple(
    _ranked(DESTINATION_OFFERS, OFFER, "city_key", cities) for cities in (BY_CITY, BY_COUNTRY)
)
REQUESTS_TO = tuple(
    _ranked(DESTINATION_REQUESTS, REQUEST, "destination_city_key", cities)
    for cities in (BY_CITY, BY_COUNTRY)
)

WORK_OFFERS = """
SELECT {OFFER} FROM (
    SELECT *, (CASE WHEN profession = $1 THEN 3 ELSE 0 END)
        + cardinality(ARRAY(SELECT unnest(skills) INTERSECT SELECT unnest($2::text[]))) AS score
    FROM support_offers
    WHERE status = 'open' AND kind IN ('job', 'remote_work')
      AND (profession = $1 OR skills && $2::text[])
      AND (cardinality(languages) = 0 OR cardinality($3::text[]) = 0 OR languages && $3)
      AND (kind <> 'remote_work' OR $4::boolean)
      AND (kind <> 'job' OR cardinality($5::text[]) = 0 OR country = ANY($5))
) fitting
ORDER BY score DESC, published_at, offer_id LIMIT $6
"""
WORK_REQUESTS = """
SELECT {REQUEST} FROM (
    SELECT *, (CASE WHEN profession = $1 THEN 3 ELSE 0 END)
        + cardinality(ARRAY(SELECT unnest(skills) INTERSECT SELECT unnest($2::text[]))) AS score
    FROM support_requests
    WHERE status = 'open' AND kind = 'job_search'
      AND (profession = $1 OR skills && $2::text[])
      AND (cardinality(languages) = 0 OR cardinality($3::text[]) = 0 OR languages && $3)
      AND ($4::text <> 'remote_work' OR remote_ok)
      AND ($4 <> 'job' OR cardinality(work_countries) = 0 OR $5::text = ANY(work_countries))
) fitting
ORDER BY score DESC, requested_at, request_id LIMIT $6
"""


async def offers_fitting(conn: asyncpg.Connection, request: RequestProfile) -> list[OfferProfile]:
    """The open offers that can be among the request's best, in the rule's order."""
    if request.kind is SupportKind.ONWARD_TRAVEL:
        rows = await _by_destination(
            conn, OFFERS_TO, request.destination_country, place_key(request.destination_city)
        )
    else:
        rows = await conn.fetch(
            WORK_OFFERS.format(OFFER=OFFER), request.profession, sorted(request.skills),
            sorted(request.languages), request.remote_ok, sorted(request.work_countries),
            MAX_PROPOSALS,
        )  # fmt: skip
    return [_offer_profile(row) for row in rows]


async def requests_fitting(conn: asyncpg.Connection, offer: OfferProfile) -> list[RequestProfile]:
    """The open requests the offer can fit best, in the rule's order."""
    if offer.kind in TRAVEL_OFFERS:
        rows = await _by_destination(conn, REQUESTS_TO, offer.country, place_key(offer.city))
    else:
        rows = await conn.fetch(
            WORK_REQUESTS.format(REQUEST=REQUEST), offer.profession, sorted(offer.skills),
            sorted(offer.languages), offer.kind.value, offer.country, MAX_PROPOSALS,
        )  # fmt: skip
    return [_request_profile(row) for row in rows]


async def _by_destination(
    conn: asyncpg.Connection,
    statements: tuple[str, ...],
    country: str | None,
    city_key: str | None,
) -> list[asyncpg.Record]:
    if country is None:  # the deciders refuse travel with no country: none is open
        return []
    with_city, without = statements
    return list(
        await conn.fetch(with_city if city_key else without, country, city_key, MAX_PROPOSALS)
    )


def _offer_profile(row: asyncpg.Record) -> OfferProfile:
    return OfferProfile(
        row["offer_id"], OfferKind(row["kind"]), row["country"], row["city"], row["profession"],
        frozenset(row["skills"]), frozenset(row["languages"]),
    )  # fmt: skip


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


async def open_requests_among(
    conn: asyncpg.Connection, persons: Sequence[UUID]
) -> dict[UUID, list[UUID]]:
    """Each person's requests still open or matched, in the order of their ids (a person with
    none is left out), in one statement however many persons."""
    rows = await conn.fetch(
        "SELECT person_id, request_id FROM support_requests "
        "WHERE person_id = ANY($1::uuid[]) AND status IN ('open', 'matched') "
        "ORDER BY person_id, request_id",
        persons,
    )
    found: dict[UUID, list[UUID]] = {}
    for row in rows:
        found.setdefault(row["person_id"], []).append(row["request_id"])
    return found
