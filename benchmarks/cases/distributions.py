"""distributions: POST /v1/distributions on the real aid process, from 1, 2 and 10 counters at
once (one keep-alive connection each, a closed loop), all issuing one hot meal from the same
site's stock to distinct people.

Every distribution appends to the person's stream and to the one stock stream of (site, item),
so this is where concurrent counters meet. The rows are the rate at 2 and at 10 counters, each
against the rate of one counter in the same round: how issuing scales with counters at one
stock (below 1: counters slow each other down). The people are made known to aid as intake
would (``ArrivalRegistered`` on the run's own intake topic), each gets one meal only, and the
stock holds more than every round asks, so every answer must be a 201.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import asyncpg

from benchmarks.cases.aid_load import Counters, make_known, stock_up
from benchmarks.cases.distribution_cost import case_distribution_cost, people_needed
from benchmarks.children import Child
from benchmarks.loadgen import closed_loop
from benchmarks.meters import CpuMeter, per_thousand, summed
from benchmarks.results import ratio_measure
from benchmarks.run import Run, interleaved, log, profiled

COUNTERS = (1, 2, 10)


#: event rows written by transactions that then lost a race and started again: each such row
#: drew a position from the identity and left a gap (no request of the case is refused)
LOST = "SELECT coalesce(max(global_position), 0) - count(*) FROM events"


@dataclass
class Level:
    """The figures of one number of counters, round by round."""

    counters: int
    rates: list[float] = field(default_factory=list)
    cpu: list[dict[str, float | None]] = field(default_factory=list)
    not_201: dict[str, int] = field(default_factory=dict)
    rolled_back: int = 0

    def per_thousand(self, per_round: int) -> dict[str, float | None]:
        return per_thousand(summed(self.cpu), per_round * len(self.cpu))

    def rolled_back_per_distribution(self, per_round: int) -> float:
        return self.rolled_back / (per_round * len(self.rates))


async def one_level(
    aid: Child, monitor: asyncpg.Connection, level: Level, prepared: list[bytes]
) -> None:
    assert aid.database is not None
    before = int(await monitor.fetchval(LOST))
    meter = CpuMeter({"aid": aid.pid}, [aid.database], monitor)
    await meter.start()
    result = await closed_loop(
        "127.0.0.1", aid.port, prepared.__getitem__, concurrency=level.counters,
        count=len(prepared), expect=201,
    )  # fmt: skip
    level.cpu.append(await meter.stop())
    level.rates.append(result.rate)
    level.rolled_back += int(await monitor.fetchval(LOST)) - before
    for status, seen in result.statuses.items():
        if status != 201:
            level.not_201[str(status)] = level.not_201.get(str(status), 0) + seen


async def case_distributions(run: Run) -> None:
    per_round = run.args.distributions_per_round
    needed = max(
        per_round * len(COUNTERS) * run.args.rounds, people_needed(per_round, run.args.rounds)
    )
    aid = await run.service("aid", "distributions")
    assert aid.url is not None
    monitor = await run.monitor(aid.url)
    people = await make_known(aid, run.args.kafka, needed, monitor)
    await stock_up(aid, needed + 1000)
    counters = Counters(aid, people)
    levels = {n: Level(n) for n in COUNTERS}
    with profiled(run, "distributions", aid.pid):
        for index, forward in interleaved(run.args.rounds):
            for n in COUNTERS if forward else tuple(reversed(COUNTERS)):
                await one_level(aid, monitor, levels[n], counters.requests(per_round))
            log(f"distributions round {index + 1}: " + ", ".join(
                f"{n} counters {levels[n].rates[-1]:.0f}/s" for n in COUNTERS))  # fmt: skip
    one = levels[1]
    for level in (levels[n] for n in COUNTERS[1:]):
        run.measures.append(
            ratio_measure(
                f"distributions_c{level.counters}_vs_c1",
                f"POST /v1/distributions of one hot meal to distinct people at one site's "
                f"stock from {level.counters} counters at once (closed loop, one connection "
                "each)",
                "distributions/s",
                "1 counter",
                level.rates,
                one.rates,
                cpu_s_per_1000_events=level.per_thousand(per_round),
                baseline_cpu_s_per_1000_events=one.per_thousand(per_round),
                details={
                    "distributions_per_round": per_round,
                    "not_201": level.not_201,
                    "events_rolled_back_per_distribution": level.rolled_back_per_distribution(
                        per_round
                    ),
                    "baseline_events_rolled_back_per_distribution": (
                        one.rolled_back_per_distribution(per_round)
                    ),
                    "cpu_unit": "per 1000 requests",
                },
            )
        )
    await case_distribution_cost(run, aid, monitor, people)
