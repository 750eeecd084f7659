"""Ten counters at two sites issuing at once, on the real Postgres and the real aid: the issues
waiting at one stock are decided as one group (services/aid/app/issue_queue.py), and still
no stock goes below zero, nobody gets more than the day allows across the sites, and a request
sent twice with one Idempotency-Key while the first waits is answered once."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from uuid import UUID, uuid4

import httpx
import pytest

from shared.schemas.aid import AidItem, stock_id_of
from tests.integration.aid_helpers import RunningAid, running_aid
from tests.stack import Stack

pytestmark = pytest.mark.integration

ITEM = "hot_meal"
STOCKS = {"atameken-camp": 7, "syrym-point": 6}  # fewer units than people, at both sites
PER_SITE, QUEUE = 5, 4  # five counters at each site, four people in each queue


@pytest.fixture
async def aid(stack: Stack, databases: dict[str, str], namespace: str) -> AsyncIterator[RunningAid]:
    async with running_aid(stack, databases, namespace) as running:
        yield running


async def counter(aid: RunningAid, site: str, queue: list[UUID]) -> list[tuple[UUID, str, int]]:
    """Serves its queue in turn; each request is sent twice at once with one key, as a tablet
    retries when its first try seems slow: both answers must be the same issue or refusal."""
    served = []
    for person in queue:
        body, key = {"person_id": str(person), "item": ITEM, "site_id": site}, str(uuid4())
        first, retry = await asyncio.gather(
            aid.post("/v1/distributions", body, key), aid.post("/v1/distributions", body, key)
        )
        assert first.status_code == retry.status_code and first.json() == retry.json()
        served.append((person, site, _outcome(first)))
    return served


def _outcome(answer: httpx.Response) -> int:
    assert answer.status_code in (201, 422), answer.text
    return answer.status_code


async def test_ten_counters_at_two_sites_give_each_stock_exactly_and_nobody_a_second_meal(
    aid: RunningAid,
) -> None:
    _, people = await aid.arrive(*[()] * (PER_SITE * QUEUE))
    answer = await aid.post(f"/v1/items/{ITEM}/rules", {
        "per": "person", "max_per_day": 1, "min_interval_hours": 0, "residents_only": False,
        "vulnerable_first": False, "total_cap": None, "low_stock_level": 0,
    })  # fmt: skip
    assert answer.status_code == 200, answer.text
    for site, units in STOCKS.items():
        assert (await aid.donate(site, ITEM, units)).status_code == 201
    # counter k at one site and counter k at the other serve the same people at the same time
    queues = [people[k * QUEUE : (k + 1) * QUEUE] for k in range(PER_SITE)]

    lines = await asyncio.gather(
        *(counter(aid, site, queue) for site in STOCKS for queue in queues)
    )

    served = [one for line in lines for one in line]
    issued = Counter(site for _, site, status in served if status == 201)
    people_issued = [person for person, _, status in served if status == 201]
    assert issued == STOCKS  # each stock gives all it holds: more people want it than it has
    assert len(set(people_issued)) == len(people_issued)  # nobody twice, at one site or two
    async with aid.pool.acquire() as conn:
        for site, units in STOCKS.items():
            left = await conn.fetchval(
                "SELECT quantity FROM stock WHERE site_id = $1 AND item = $2", site, ITEM
            )
            draws = await conn.fetchval(
                "SELECT count(*) FROM events WHERE stream_id = $1 AND event_type = 'StockIssued'",
                stock_id_of(site, AidItem(ITEM)),
            )
            people_counted = await conn.fetchval(
                "SELECT people FROM daily_totals WHERE site_id = $1 AND item = $2", site, ITEM
            )
            assert (left, draws, people_counted) == (0, units, units)  # never below zero
        per_person = await conn.fetch("SELECT person_id, count(*) AS n FROM issues GROUP BY 1")
        # each issue keeps its own journey: its two events share a correlation id, no other's
        journeys = await conn.fetch(
            "SELECT data->>'issue_id' AS issue, array_agg(DISTINCT metadata->>'correlation_id')"
            " AS ids FROM events WHERE event_type IN ('AidIssued', 'StockIssued') GROUP BY 1"
        )
        answered = await conn.fetchval(
            "SELECT count(*) FROM idempotency_keys WHERE response->>'outcome' = 'issued'"
        )
    assert {row["person_id"] for row in per_person} == set(people_issued)
    assert max(row["n"] for row in per_person) == 1
    assert answered == len(people_issued)  # a retry got the first answer, not a second meal
    assert len(journeys) == len(people_issued) and all(len(j["ids"]) == 1 for j in journeys)
    assert len({j["ids"][0] for j in journeys}) == len(journeys)
