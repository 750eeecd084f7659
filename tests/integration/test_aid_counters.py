"""Ten counters issuing from one small stock at once, on the real Postgres: the stock gives
exactly what it holds, first expiring first, and no person gets more than the day allows, even
when they stand at two counters at the same moment; donations arriving meanwhile queue too."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator
from datetime import date, timedelta
from uuid import UUID

import httpx
import pytest

from shared.schemas.aid import AidItem, stock_id_of
from tests.integration.aid_helpers import RunningAid, running_aid
from tests.stack import Stack

pytestmark = pytest.mark.integration

SITE, ITEM = "atameken-camp", "hot_meal"
COUNTERS, QUEUE = 10, 4
SOON, LATER = 6, 9  # units of the lot that expires first, and of the one after
STATS_REPORTED = 11.0


@pytest.fixture
async def aid(stack: Stack, databases: dict[str, str], namespace: str) -> AsyncIterator[RunningAid]:
    async with running_aid(stack, databases, namespace) as running:
        yield running


async def one_a_day(aid: RunningAid) -> None:
    """A hot meal, once a day, with no pause and no reserve: the day's maximum decides."""
    answer = await aid.post(f"/v1/items/{ITEM}/rules", {
        "per": "person", "max_per_day": 1, "min_interval_hours": 0, "residents_only": False,
        "vulnerable_first": False, "total_cap": None, "low_stock_level": 0,
    })  # fmt: skip
    assert answer.status_code == 200, answer.text


def queues(people: list[UUID]) -> list[list[UUID]]:
    """Each counter serves its queue one person after another; counters 2k and 2k + 1 have the
    same person at the same place in their queues, so everyone stands at two counters at once."""
    pairs = COUNTERS // 2
    return [[people[step * pairs + c // 2] for step in range(QUEUE)] for c in range(COUNTERS)]


async def counter(aid: RunningAid, queue: list[UUID]) -> list[tuple[UUID, httpx.Response]]:
    return [(person, await aid.issue(person, SITE, ITEM)) for person in queue]


async def test_ten_counters_issue_exactly_the_stock_first_expiring_first_and_once_a_person(
    aid: RunningAid,
) -> None:
    _, people = await aid.arrive(*[()] * (COUNTERS * QUEUE // 2))
    await one_a_day(aid)
    today = date.today()
    soon, later = (today + timedelta(days=5)).isoformat(), (today + timedelta(days=9)).isoformat()
    await aid.donate(SITE, ITEM, LATER, expires_on=later)
    await aid.donate(SITE, ITEM, SOON, expires_on=soon)
    lines = queues(people)
    assert all(count == 2 for count in Counter(p for line in lines for p in line).values())

    served = [pair for line in await asyncio.gather(*(counter(aid, q) for q in lines))
              for pair in line]  # fmt: skip

    issued = [person for person, answer in served if answer.status_code == 201]
    refused = Counter(answer.json()["rule"] for _, answer in served if answer.status_code == 422)
    assert len(issued) == SOON + LATER  # more people than units: the stock gives all it has
    assert len(set(issued)) == len(issued)  # nobody twice on one day
    # the person's rules come first: whoever got a meal is refused it at the other counter by
    # the day's maximum; whoever got none was refused at both for want of stock
    unserved = len(people) - len(issued)
    assert refused == {"max_per_day": len(issued), "out_of_stock": 2 * unserved}
    async with aid.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT data FROM events WHERE stream_id = $1 AND event_type = 'StockIssued' "
            "ORDER BY version",
            stock_id_of(SITE, AidItem(ITEM)),
        )
        per_person = await conn.fetch(
            "SELECT person_id, count(*) AS issues FROM issues GROUP BY person_id"
        )
        left = await conn.fetchval(
            "SELECT quantity FROM stock WHERE site_id = $1 AND item = $2", SITE, ITEM
        )
    taken = [lot["expires_on"] for row in rows for lot in json.loads(row["data"])["lots"]]
    assert len(rows) == SOON + LATER and left == 0  # never below zero
    assert taken == sorted(taken) and taken.count(soon) == SOON  # first expiring, first out
    assert {row["person_id"] for row in per_person} == set(issued)
    assert max(row["issues"] for row in per_person) == 1


async def test_donations_arriving_while_ten_counters_issue_wait_their_turn_without_deadlock(
    aid: RunningAid,
) -> None:
    _, people = await aid.arrive(*[()] * (COUNTERS * QUEUE))
    await aid.donate(SITE, "sim_card", 100)

    async def counter(queue: list[UUID]) -> list[int]:
        return [(await aid.issue(person, SITE, "sim_card")).status_code for person in queue]

    async def donor() -> None:
        for _ in range(8):
            await aid.donate(SITE, "sim_card", 5)

    lines = [people[c::COUNTERS] for c in range(COUNTERS)]
    issued, *_ = await asyncio.gather(
        asyncio.gather(*(counter(line) for line in lines)), donor(), donor()
    )

    assert [status for line in issued for status in line] == [201] * len(people)
    async with aid.pool.acquire() as conn:
        left = await conn.fetchval(
            "SELECT quantity FROM stock WHERE site_id = $1 AND item = 'sim_card'", SITE
        )
        assert left == 100 + 2 * 8 * 5 - len(people)
        # a backend reports its counts some seconds after it goes idle (at most ten)
        await asyncio.sleep(STATS_REPORTED)
        deadlocks = await conn.fetchval(
            "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
        )
    assert deadlocks == 0  # a donation and an issue never waited for each other's locks
