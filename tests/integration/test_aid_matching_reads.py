"""Matching reads only the open offers and requests that can be among the best for a new one
(services/aid/matching_queries.py), on the real Postgres: what the rule proposes from them is
what it proposes from every open row, read in full as it was before, for any mix of kinds,
countries, cities in any case, professions, skills, languages, places of work and times."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import asyncpg
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from services.aid.domain.matching import (
    OfferProfile,
    RequestProfile,
    offers_for,
    place_key,
    requests_for,
)
from services.aid.matching_queries import (
    OFFER,
    REQUEST,
    _offer_profile,
    _request_profile,
    offers_fitting,
    requests_fitting,
)
from shared.migrations import upgrade
from shared.schemas.aid import MatchBasis, OfferKind, SupportKind

pytestmark = pytest.mark.integration
SERVICES = Path(__file__).parents[2] / "services"

#: few values of each, so that rows tie and collide: cities equal only case folded, a
#: destination with and without a city, shared and disjoint skills and languages
COUNTRIES = ("GE", "TR", "AM")
CITIES = (None, "Tbilisi", "TBILISI", "Batumi", "Straße", "STRASSE")
TAGS = ("python", "welding", "driving", "accounting")
LANGUAGES = ("ru", "en", "kk")
START = datetime(2022, 9, 25, 8, tzinfo=UTC)
#: rows published or requested at the same minute tie on time and are ordered by id
MINUTES = st.integers(0, 5).map(lambda minutes: START + timedelta(minutes=minutes))
SOME = st.frozensets
STATUS = st.sampled_from(("open", "open", "open", "closed"))


def _request(
    kind: SupportKind, country: str, city: str | None, profession: str | None,
    skills: frozenset[str], languages: frozenset[str], where: frozenset[str], remote: bool,
) -> RequestProfile:  # fmt: skip
    travel = kind is SupportKind.ONWARD_TRAVEL
    return RequestProfile(
        uuid4(), kind, country if travel else None, city if travel else None,
        profession, skills, languages, where, remote,
    )  # fmt: skip


TAG = st.sampled_from((None, *TAGS))
REQUESTS = st.tuples(
    st.builds(
        _request, st.sampled_from(SupportKind), st.sampled_from(COUNTRIES),
        st.sampled_from(CITIES), TAG, SOME(st.sampled_from(TAGS), max_size=3),
        SOME(st.sampled_from(LANGUAGES), max_size=2), SOME(st.sampled_from(COUNTRIES), max_size=2),
        st.booleans(),
    ),
    STATUS,
    MINUTES,
)  # fmt: skip
OFFERS = st.tuples(
    st.builds(
        lambda kind, *rest: OfferProfile(uuid4(), kind, *rest),
        st.sampled_from(OfferKind), st.sampled_from((None, *COUNTRIES)), st.sampled_from(CITIES),
        TAG, SOME(st.sampled_from(TAGS), max_size=3), SOME(st.sampled_from(LANGUAGES), max_size=2),
    ),
    STATUS,
    MINUTES,
)  # fmt: skip
TOWNS = st.tuples(
    st.lists(REQUESTS, min_size=40, max_size=80), st.lists(OFFERS, min_size=20, max_size=40)
)
Town = tuple[list[tuple[RequestProfile, str, datetime]], list[tuple[OfferProfile, str, datetime]]]


def towns(examples: int) -> list[Town]:
    """The same towns on every run, drawn by Hypothesis (it generates here; the assertions
    need a database, which a synchronous Hypothesis test would set up once per example)."""
    drawn: list[Town] = []

    @settings(
        max_examples=examples, derandomize=True, database=None, deadline=None,
        phases=[Phase.generate], suppress_health_check=list(HealthCheck),
    )  # fmt: skip
    @given(TOWNS)
    def draw(town: Town) -> None:
        drawn.append(town)

    draw()
    return drawn


@pytest.fixture
async def aid_db(databases: dict[str, str]) -> AsyncIterator[asyncpg.Connection]:
    await asyncio.to_thread(upgrade, databases["aid"], SERVICES / "aid" / "migrations")
    conn = await asyncpg.connect(databases["aid"])
    try:
        yield conn
    finally:
        await conn.close()


async def _settle(conn: asyncpg.Connection, town: Town) -> None:
    requests, offers = town
    await conn.execute("TRUNCATE support_requests, support_offers")
    await conn.executemany(
        "INSERT INTO support_requests (request_id, person_id, kind, status, destination_country,"
        " destination_city, destination_city_key, profession, skills, languages, work_countries,"
        " remote_ok, requested_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        [
            (r.request_id, uuid4(), r.kind.value, "open" if status == "open" else "matched",
             r.destination_country, r.destination_city, place_key(r.destination_city),
             r.profession, sorted(r.skills), sorted(r.languages), sorted(r.work_countries),
             r.remote_ok, at)
            for r, status, at in requests
        ],
    )  # fmt: skip
    await conn.executemany(
        "INSERT INTO support_offers (offer_id, kind, status, country, city, city_key, profession,"
        " skills, languages, places, published_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 3, $10)",
        [
            (o.offer_id, o.kind.value, "open" if status == "open" else "full", o.country, o.city,
             place_key(o.city), o.profession, sorted(o.skills), sorted(o.languages), at)
            for o, status, at in offers
        ],
    )  # fmt: skip


async def _every_open(conn: asyncpg.Connection) -> tuple[list[RequestProfile], list[OfferProfile]]:
    """Every open row, oldest first: what matching read before."""
    requests = await conn.fetch(
        f"SELECT {REQUEST} FROM support_requests WHERE status = 'open' "
        "ORDER BY requested_at, request_id"
    )
    offers = await conn.fetch(
        f"SELECT {OFFER} FROM support_offers WHERE status = 'open' ORDER BY published_at, offer_id"
    )
    return [_request_profile(r) for r in requests], [_offer_profile(o) for o in offers]


def _ids(chosen: Sequence[tuple[RequestProfile | OfferProfile, MatchBasis]]) -> list[Any]:
    return [
        (one.request_id if isinstance(one, RequestProfile) else one.offer_id, basis)
        for one, basis in chosen
    ]


async def test_the_few_rows_read_give_the_proposals_every_open_row_gives(
    aid_db: asyncpg.Connection,
) -> None:
    compared = proposed = 0
    for town in towns(40):
        await _settle(aid_db, town)
        every_request, every_offer = await _every_open(aid_db)
        # each drawn request and offer as if new: open or not, the rule is asked for its best
        for request, _, _ in town[0]:
            few = await offers_fitting(aid_db, request)
            assert len(few) <= 10
            best = _ids(offers_for(request, every_offer))
            assert _ids(offers_for(request, few)) == best, request
            compared, proposed = compared + 1, proposed + len(best)
        for offer, _, _ in town[1]:
            few_requests = await requests_fitting(aid_db, offer)
            assert len(few_requests) <= 10
            best = _ids(requests_for(offer, every_request))
            assert _ids(requests_for(offer, few_requests)) == best, offer
            compared, proposed = compared + 1, proposed + len(best)
    # the towns drew enough that fit for the comparison to mean something
    assert compared > 1000 and proposed > 1000, (compared, proposed)


async def test_the_migration_keys_the_cities_kept_before_it(databases: dict[str, str]) -> None:
    url = databases["aid"]
    await asyncio.to_thread(upgrade, url, SERVICES / "aid" / "migrations", "0007")
    conn = await asyncpg.connect(url)
    try:
        request, offer = uuid4(), uuid4()
        await conn.execute(
            "INSERT INTO support_request_details (request_id, person_id, destination_city) "
            "VALUES ($1, $2, 'Straße')",
            request, uuid4(),
        )  # fmt: skip
        await conn.execute(
            "INSERT INTO support_requests (request_id, person_id, kind, status, "
            "destination_country, destination_city, requested_at) "
            "VALUES ($1, $2, 'onward_travel', 'open', 'GE', 'Straße', now())",
            request, uuid4(),
        )  # fmt: skip
        await conn.execute(
            "INSERT INTO support_offers (offer_id, kind, status, country, city, skills, "
            "languages, places, published_at) "
            "VALUES ($1, 'ride', 'open', 'GE', 'STRASSE', '{}', '{}', 3, now())",
            offer,
        )  # fmt: skip
        await asyncio.to_thread(upgrade, url, SERVICES / "aid" / "migrations")
        keys = [
            await conn.fetchval(f"SELECT {column} FROM {table}")
            for table, column in (
                ("support_request_details", "destination_city_key"),
                ("support_requests", "destination_city_key"),
                ("support_offers", "city_key"),
            )
        ]
        assert keys == ["strasse"] * 3
        [found] = await requests_fitting(
            conn, OfferProfile(uuid4(), OfferKind.RIDE, "GE", "strasse")
        )
        assert found.request_id == request
    finally:
        await conn.close()
