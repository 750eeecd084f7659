"""How the runner watches the week without weighing on it: whether the consumers have caught
up, and what each day cost.

Watching must cost the same on the last day as on the first. The first runner counted every
event of a topic and every inbox row at each look, ten looks a second while it waited: a
sequential scan of the producer's whole events table (the wide rows, jsonb and all), so the
longer the week ran, the more of the database server the waiting itself took from the
consumers it waited for. Now the published events are counted once each (``PublishedCount``),
and the pause between looks grows with what a look cost.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from benchmarks.common import parent_of, process_cpu, server_cpu
from shared.topics import HOUSING_EVENTS, INTAKE_EVENTS

#: (consumer, producer, topic): what each consumer must have handled
FEEDS = (
    ("housing", "intake", INTAKE_EVENTS),
    ("aid", "intake", INTAKE_EVENTS),
    ("aid", "housing", HOUSING_EVENTS),
)

#: the events of transactions that began before every transaction still running are final (no
#: later transaction can add one below that horizon): counted once, from the last horizon on,
#: through the outbox's own index; the newer ones are counted again at each look. One
#: statement, so one snapshot for the horizon and both counts.
PUBLISHED_SINCE = """
SELECT horizon::text,
       (SELECT count(*) FROM events
        WHERE topic = $1 AND transaction_id >= $2::text::xid8 AND transaction_id < horizon)
           AS settled,
       (SELECT count(*) FROM events WHERE topic = $1 AND transaction_id >= horizon) AS recent
FROM (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS horizon) AS snapshot
"""
CONSUMED = "SELECT count(*) FROM inbox WHERE topic = $1"
#: the shortest pause between looks, and how many times a look's own cost the pause is at least
FIRST_PAUSE_S = 0.1
PAUSE_PER_LOOK = 4


@dataclass
class PublishedCount:
    """Events a producer published on a topic, each read once when final."""

    topic: str
    settled: int = 0
    horizon: str = "0"

    async def __call__(self, conn: asyncpg.Connection) -> int:
        row = await conn.fetchrow(PUBLISHED_SINCE, self.topic, self.horizon)
        self.settled += row["settled"]
        self.horizon = row["horizon"]
        return self.settled + int(row["recent"])


@dataclass
class Lag:
    """Events published on a topic that a consumer has not handled yet (its inbox against the
    producer's events table, which is also the outbox)."""

    monitors: dict[str, asyncpg.Connection]
    published: dict[tuple[str, str], PublishedCount] = field(default_factory=dict)

    async def behind(self, consumers: tuple[str, ...]) -> dict[str, int]:
        found = {}
        for consumer, producer, topic in FEEDS:
            if consumer in consumers:
                count = self.published.setdefault((producer, topic), PublishedCount(topic))
                published = await count(self.monitors[producer])
                consumed = await self.monitors[consumer].fetchval(CONSUMED, topic)
                found[f"{consumer}<-{producer}"] = published - consumed
        return found

    async def caught_up(self, consumers: tuple[str, ...], patience: float) -> float:
        """Seconds until ``consumers`` handled everything published so far; raises after
        ``patience`` seconds without progress (a stuck or dead-lettering consumer)."""
        start = last_progress = time.perf_counter()
        previous: dict[str, int] | None = None
        while True:
            looked = time.perf_counter()
            behind = await self.behind(consumers)
            if not any(behind.values()):
                return time.perf_counter() - start
            now = time.perf_counter()
            if behind != previous:
                previous, last_progress = behind, now
            elif now - last_progress > patience:
                raise RuntimeError(f"consumers made no progress for {patience:.0f}s: {behind}")
            await asyncio.sleep(max(FIRST_PAUSE_S, PAUSE_PER_LOOK * (now - looked)))


async def database_server(monitor: asyncpg.Connection) -> int | None:
    """The database server's process (the parent of ``monitor``'s backend), when it runs on
    this machine."""
    return parent_of(await monitor.fetchval("SELECT pg_backend_pid()"))


@dataclass
class DayMeter:
    """What one day of the week cost: its wall time by phase, the requests it made, the CPU
    of each service and of the database server (its backends, autovacuum and WAL writer:
    the week is all it serves), and the machine's load."""

    pids: dict[str, int]
    #: the database server's process (``database_server``); None: its CPU is not reported
    server: int | None
    started: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    requests: Counter[str] = field(default_factory=Counter)
    cpu: dict[str, float] = field(default_factory=dict)

    def _cpu(self) -> dict[str, float]:
        found = {name: process_cpu(pid) or 0.0 for name, pid in self.pids.items()}
        if self.server is not None and (server := server_cpu(self.server)) is not None:
            found["postgres"] = server
        return found

    def start(self, timings: dict[str, float], requests: Counter[str]) -> None:
        self.started = time.perf_counter()
        self.timings, self.requests, self.cpu = dict(timings), Counter(requests), self._cpu()

    def finish(
        self, day: int, timings: dict[str, float], requests: Counter[str], **facts: Any
    ) -> dict[str, Any]:
        cpu = self._cpu()
        return {
            "day": day,
            **facts,
            "wall_s": time.perf_counter() - self.started,
            "phase_s": {k: v - self.timings.get(k, 0.0) for k, v in timings.items()},
            "requests": dict(Counter(requests) - self.requests),
            "cpu_s": {name: cpu[name] - self.cpu.get(name, 0.0) for name in cpu},
            "loadavg_1m": os.getloadavg()[0],
        }
