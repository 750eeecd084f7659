"""A group of distributions at one stock costs a few database round trips, however many issues
it holds: every statement its transaction sends to Postgres (BEGIN and COMMIT too) is counted
on the real aid and Postgres, so a read per table or per person cannot creep back unnoticed.

The five: BEGIN; the keys claimed, the rules and people read and the stocks' queues entered;
the stocks and the read-model rows its issues fold, read; the events, rows and answers written;
COMMIT. Counters at different stocks share the groups: what a group costs does not grow with
the stocks it draws from. A group whose every recipient is refused draws nothing, and does not
read its stocks: four."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from uuid import UUID, uuid4

import httpx
import pytest

from tests.integration.aid_helpers import RunningAid, running_aid
from tests.integration.test_arrival_round_trips import counted
from tests.stack import Stack

pytestmark = pytest.mark.integration

#: the most round trips one group's transaction may cost, for one issue as for twelve
ROUND_TRIPS_PER_GROUP = 5
SITE, ITEM = "atameken-camp", "hot_meal"
#: how many turns of aid's event loop apart two counters' requests reach it (over TCP, the
#: second is read a little after the first: here both go through one in-process client)
TURNS_APART = 3
#: turns after which a request sent alone is being decided (its transaction open)
DECIDING_AFTER = 12


@pytest.fixture
async def aid(stack: Stack, databases: dict[str, str], namespace: str) -> AsyncIterator[RunningAid]:
    async with running_aid(stack, databases, namespace) as running:
        yield running


async def issue_at_once(
    aid: RunningAid, people: list[UUID], stocks: list[tuple[str, str]] | None = None
) -> list[httpx.Response]:
    """Each person issued one item at once; ``stocks``: the (site, item) of each, in turn (all
    at SITE, ITEM unless given)."""
    at = stocks or [(SITE, ITEM)]
    bodies = [
        {"person_id": str(p), "site_id": at[i % len(at)][0], "item": at[i % len(at)][1]}
        for i, p in enumerate(people)
    ]
    return await asyncio.gather(
        *(aid.post("/v1/distributions", body, str(uuid4())) for body in bodies)
    )


async def per_person_daily(aid: RunningAid, item: str, max_per_day: int = 1) -> None:
    """``item``'s rules: at most ``max_per_day`` a day per person, no other limit."""
    answer = await aid.post(f"/v1/items/{item}/rules", {
        "per": "person", "max_per_day": max_per_day, "min_interval_hours": 0,
        "residents_only": False, "vulnerable_first": False, "total_cap": None,
        "low_stock_level": 0,
    })  # fmt: skip
    assert answer.status_code == 200, answer.text


async def test_a_group_of_distributions_costs_at_most_five_round_trips_for_one_and_for_twelve(
    aid: RunningAid, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, people = await aid.arrive(*[()] * 40)
    await per_person_daily(aid, ITEM)
    assert (await aid.donate(SITE, ITEM, 100)).status_code == 201
    # the first use of a statement on a connection reads the types it has not met yet: each
    # connection's once, not each group's
    for first in range(0, 16, 4):
        assert {a.status_code for a in await issue_at_once(aid, people[first : first + 4])} == {201}

    with counted(monkeypatch) as alone:
        answer = (await issue_at_once(aid, people[16:17]))[0]
        await asyncio.sleep(0)  # the query logger reports in the loop's next turn
    with counted(monkeypatch) as crowd:
        answers = await issue_at_once(aid, people[17:29])
        await asyncio.sleep(0)

    assert answer.status_code == 201, answer.text
    assert {a.status_code for a in answers} == {201}
    print(f"\nround trips: one issue {len(alone)}, twelve at once {len(crowd)}")
    assert len(alone) <= ROUND_TRIPS_PER_GROUP, "\n".join(alone)
    groups = sum(statement.startswith("BEGIN") for statement in crowd)
    assert groups < 12, "\n".join(crowd)  # issues waiting together were decided together
    assert len(crowd) <= ROUND_TRIPS_PER_GROUP * groups, "\n".join(crowd)


async def test_counters_at_four_stocks_share_groups_of_at_most_five_round_trips(
    aid: RunningAid, monkeypatch: pytest.MonkeyPatch
) -> None:
    # two sites, two items: four stocks, three counters at each, all at once. Queued per
    # stock, they would cost at least four transactions; sharing the queue, fewer
    stocks = [(site, item) for site in (SITE, "syrym-point") for item in (ITEM, "hygiene_kit")]
    _, people = await aid.arrive(*[()] * 28)
    await per_person_daily(aid, "hygiene_kit")
    for site, item in stocks:
        assert (await aid.donate(site, item, 50)).status_code == 201
    # each connection meets the statements' types once (see the test above)
    for first in range(0, 16, 4):
        warm = await issue_at_once(aid, people[first : first + 4], stocks)
        assert {a.status_code for a in warm} == {201}, [a.text for a in warm]

    with counted(monkeypatch) as crowd:
        answers = await issue_at_once(aid, people[16:28], stocks)
        await asyncio.sleep(0)

    assert {a.status_code for a in answers} == {201}, [a.text for a in answers]
    issued = Counter((a.json()["site_id"], a.json()["item"]) for a in answers)
    assert issued == dict.fromkeys(stocks, 3)
    groups = sum(statement.startswith("BEGIN") for statement in crowd)
    print(f"\ntwelve issues at four stocks: {groups} groups, {len(crowd)} round trips")
    assert groups < len(stocks), "\n".join(crowd)
    assert len(crowd) <= ROUND_TRIPS_PER_GROUP * groups, "\n".join(crowd)


async def test_a_group_whose_every_recipient_is_refused_costs_four_round_trips_and_keeps_them(
    aid: RunningAid, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a second meal today for each of twelve people, at once: every one refused (max one a
    # day), so the group draws nothing and need not read the stock
    _, people = await aid.arrive(*[()] * 12)
    await per_person_daily(aid, ITEM)
    assert (await aid.donate(SITE, ITEM, 100)).status_code == 201
    for first in range(0, 12, 4):  # each connection meets the statements' types once
        assert {a.status_code for a in await issue_at_once(aid, people[first : first + 4])} == {201}
    bodies = [{"person_id": str(p), "site_id": SITE, "item": ITEM} for p in people]
    keys = [str(uuid4()) for _ in people]

    with counted(monkeypatch) as crowd:
        refused = await asyncio.gather(
            *(
                aid.post("/v1/distributions", body, key)
                for body, key in zip(bodies, keys, strict=True)
            )
        )
        await asyncio.sleep(0)
    # two a day from now on: a refusal kept with its key is answered again, not decided anew
    await per_person_daily(aid, ITEM, max_per_day=2)
    retried = [await aid.post("/v1/distributions", bodies[i], keys[i]) for i in (0, 11)]

    assert {a.status_code for a in refused} == {422}, [a.text for a in refused]
    assert {a.json()["rule"] for a in refused} == {"max_per_day"}
    groups = sum(statement.startswith("BEGIN") for statement in crowd)
    print(f"\ntwelve refusals: {groups} groups, {len(crowd)} round trips")
    assert len(crowd) <= (ROUND_TRIPS_PER_GROUP - 1) * groups, "\n".join(crowd)
    assert [(a.status_code, a.json()) for a in retried] == [
        (refused[i].status_code, refused[i].json()) for i in (0, 11)
    ]
    movements = (await aid.get(f"/v1/stock/{SITE}/{ITEM}/movements")).json()
    assert len(movements) == 1 + 12  # the donation and the first meals: nothing drawn since


async def test_issues_arriving_while_a_group_is_decided_wait_for_each_other_in_one_group(
    aid: RunningAid, monkeypatch: pytest.MonkeyPatch
) -> None:
    # while one group of a stock is decided, the next would wait for the stock's queue anyway:
    # two requests that reach aid a few turns of its event loop apart then share one
    # transaction, instead of one going alone into the second transaction of the stock
    _, people = await aid.arrive(*[()] * 16)
    assert (await aid.donate(SITE, ITEM, 100)).status_code == 201
    assert {a.status_code for a in await issue_at_once(aid, people[:3])} == {201}

    for three in range(1, 5):
        one, two, three_ = people[3 * three : 3 * three + 3]
        with counted(monkeypatch) as statements:
            deciding = asyncio.create_task(issue_at_once(aid, [one]))
            await turns(DECIDING_AFTER)
            second = asyncio.create_task(issue_at_once(aid, [two]))
            await turns(TURNS_APART)
            answers = [*await issue_at_once(aid, [three_]), *await second, *await deciding]
            await asyncio.sleep(0)  # the query logger reports in the loop's next turn
        assert {a.status_code for a in answers} == {201}, [a.text for a in answers]
        groups = sum(statement.startswith("BEGIN") for statement in statements)
        assert groups == 2, "\n".join(statements)


async def turns(count: int) -> None:
    for _ in range(count):
        await asyncio.sleep(0)
