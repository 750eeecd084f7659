"""distribution_cost_90_vs_10pct: what one distribution costs aid and its Postgres at a site
that has served 90 % of a 2,000-person day, against one that has served 10 % (the baseline,
in the same run and the same aid process).

Run at the end of the distributions case, on its aid and its people (who got a hot meal there
already): two more sites, each stocked with warm clothes (once a day, no pause, for anyone),
are brought to 1,800 and to 200 people served today by ten counters; then rounds of
distributions from one counter at each site in turn, to people not served at either. A
distribution reads what the site's day holds (its totals, whether the person collected there
today) and adds to it, so a cost that grew with the people served shows here. The figure is
CPU-seconds of the aid process and of its database's Postgres backends per distribution; the
ratio is full ÷ empty, and at most 1.3 means the cost does not grow with the day.
"""

from __future__ import annotations

from uuid import UUID, uuid4

import asyncpg
import httpx

from benchmarks.cases.aid_load import OPERATOR_KEY, Counters, stock_up
from benchmarks.children import Child
from benchmarks.loadgen import closed_loop
from benchmarks.meters import CpuMeter
from benchmarks.results import ratio_measure
from benchmarks.run import Run, interleaved, log

SCALE = 2_000
FULL, EMPTY = 0.9, 0.1
ITEM, UNIT = "warm_clothes", "set"
SITES = {FULL: "bench-full", EMPTY: "bench-empty"}
FILLING_COUNTERS = 10


def people_needed(per_round: int, rounds: int) -> int:
    """Those the day's fill serves and those the rounds serve, at both sites."""
    return round(SCALE * (FULL + EMPTY)) + 2 * rounds * measured_per_round(per_round)


def measured_per_round(per_round: int) -> int:
    return max(per_round // 2, 50)


async def _once_a_day(aid: Child) -> None:
    async with httpx.AsyncClient(base_url=aid.process.url, timeout=30) as client:
        answer = await client.post(
            f"/v1/items/{ITEM}/rules",
            headers={"X-API-Key": OPERATOR_KEY, "Idempotency-Key": f"bench-{uuid4()}"},
            json={"per": "person", "max_per_day": 1, "min_interval_hours": 0,
                  "residents_only": False, "vulnerable_first": False, "total_cap": None,
                  "low_stock_level": 0},
        )  # fmt: skip
    if answer.status_code != 200:
        raise RuntimeError(f"the item's rules: {answer.status_code} {answer.text[:500]}")


async def _serve(aid: Child, counters: Counters, count: int, concurrency: int) -> float:
    result = await closed_loop(
        "127.0.0.1", aid.port, counters.requests(count).__getitem__, concurrency=concurrency,
        count=count, expect=201,
    )  # fmt: skip
    if result.statuses.get(201, 0) != count:
        raise RuntimeError(f"distributions answered {dict(result.statuses)}, not all 201")
    return result.rate


async def case_distribution_cost(
    run: Run, aid: Child, monitor: asyncpg.Connection, people: list[UUID]
) -> None:
    assert aid.database is not None
    per_round = measured_per_round(run.args.distributions_per_round)
    await _once_a_day(aid)
    sites: dict[float, Counters] = {}
    for fill, site_id in SITES.items():
        served = round(SCALE * fill) + run.args.rounds * per_round
        sites[fill], people = Counters(aid, people[:served], site_id, ITEM), people[served:]
        await stock_up(aid, served, site_id, ITEM, UNIT)
        await _serve(aid, sites[fill], round(SCALE * fill), FILLING_COUNTERS)
    cpu: dict[float, list[float]] = {FULL: [], EMPTY: []}
    for index, baseline_first in interleaved(run.args.rounds):
        for fill in (EMPTY, FULL) if baseline_first else (FULL, EMPTY):
            meter = CpuMeter({"aid": aid.pid}, [aid.database], monitor)
            await meter.start()
            await _serve(aid, sites[fill], per_round, 1)
            spent = await meter.stop()
            used = (spent["aid"] or 0.0) + (spent["postgres"] or 0.0)
            cpu[fill].append(1e6 * used / per_round)
        log(f"distribution_cost round {index + 1}: 90 % {cpu[FULL][-1]:.0f} µs, "
            f"10 % {cpu[EMPTY][-1]:.0f} µs")  # fmt: skip
    run.measures.append(
        ratio_measure(
            "distribution_cost_90_vs_10pct",
            f"CPU of aid and its Postgres backends per distribution at a site that served "
            f"{FULL:.0%} of a {SCALE:,}-person day (warm clothes, once a day), from one counter",
            "µs CPU",
            f"{EMPTY:.0%} served",
            cpu[FULL],
            cpu[EMPTY],
            details={"distributions_per_round": per_round, "cpu": "aid + postgres"},
        )
    )
