"""append: EventStore.append vs R4 (``eventsourcing``'s Postgres recorder) at concurrency 1 and
``--concurrency-high``, and vs R3 (asyncpg executemany, 100 rows a transaction)."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit
from uuid import uuid4

import asyncpg

from benchmarks.meters import CpuMeter, per_thousand, summed
from benchmarks.payloads import event_row, make_events
from benchmarks.results import ratio_measure
from benchmarks.run import Run, interleaved, log, profiled
from benchmarks.workload import BASELINE_DDL

R3_INSERT = """
INSERT INTO r3_events (stream_id, version, event_id, event_type, schema_version, topic, data,
                       metadata)
VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb)
"""


async def case_append(run: Run) -> None:
    from eventsourcing.persistence import StoredEvent
    from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore

    from shared.eventstore import Causation, EventStore
    from shared.eventstore_tables import SCHEMA_DDL
    from shared.topics import INTAKE_EVENTS

    args = run.args
    name, url = await run.database("store")
    setup = await run.monitor(url)
    await setup.execute(SCHEMA_DDL)
    await setup.execute(BASELINE_DDL.format(table="r3_events"))
    parts = urlsplit(url)
    datastore = PostgresDatastore(
        dbname=name,
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password or "",
        pool_size=max(args.concurrency_high, 1),
    )
    recorder = PostgresApplicationRecorder(datastore, events_table_name="r4_events")
    recorder.create_table()
    store = EventStore(topic=INTAKE_EVENTS)  # the append and its outbox row, no read model
    events = make_events(run.rng, 2000)
    topic_name = f"{type(events[0]).__module__}:{type(events[0]).__name__}"
    pool = await asyncpg.create_pool(
        url,
        min_size=args.concurrency_high,
        max_size=args.concurrency_high,
        server_settings={"jit": "off"},
    )
    assert pool is not None
    stop_flag = threading.Event()
    executor = ThreadPoolExecutor(max_workers=args.concurrency_high)

    async def ours(concurrency: int, seconds: float) -> int:
        done = 0
        deadline = time.perf_counter() + seconds

        async def loop(offset: int) -> None:
            nonlocal done
            index = offset
            while time.perf_counter() < deadline:
                event = events[index % len(events)]
                async with pool.acquire() as conn, conn.transaction():
                    await store.append(conn, str(uuid4()), 0, [event], Causation.new())
                done += 1
                index += concurrency

        await asyncio.gather(*(loop(offset) for offset in range(concurrency)))
        return done

    def r4_thread(offset: int, step: int, deadline: float, counts: list[int]) -> None:
        index, done = offset, 0
        while time.perf_counter() < deadline and not stop_flag.is_set():
            event = events[index % len(events)]
            stored = StoredEvent(
                originator_id=uuid4(),
                originator_version=1,
                topic=topic_name,
                state=event.model_dump_json().encode(),
            )
            recorder.insert_events([stored])
            done += 1
            index += step
        counts[offset] = done

    async def r4(concurrency: int, seconds: float) -> int:
        counts = [0] * concurrency
        deadline = time.perf_counter() + seconds
        loop = asyncio.get_running_loop()
        await asyncio.gather(
            *(
                loop.run_in_executor(executor, r4_thread, offset, concurrency, deadline, counts)
                for offset in range(concurrency)
            )
        )
        return sum(counts)

    async def ours_batched(seconds: float) -> int:
        """Like R3: one connection, 100 events a transaction, each its own append (stream)."""
        done = 0
        deadline = time.perf_counter() + seconds
        async with pool.acquire() as conn:
            while time.perf_counter() < deadline:
                async with conn.transaction():
                    for index in range(100):
                        event = events[(done + index) % len(events)]
                        await store.append(conn, str(uuid4()), 0, [event], Causation.new())
                done += 100
        return done

    rows_cache = [event_row(event, INTAKE_EVENTS) for event in events]

    async def r3(seconds: float) -> int:
        done = 0
        deadline = time.perf_counter() + seconds
        async with pool.acquire() as conn:
            while time.perf_counter() < deadline:
                rows = [
                    (str(uuid4()), 1, uuid4(), *rows_cache[(done + i) % len(rows_cache)][3:])
                    for i in range(100)
                ]
                async with conn.transaction():
                    await conn.executemany(R3_INSERT, rows)
                done += 100
        return done

    async def timed(
        work: Callable[[], Awaitable[int]],
    ) -> tuple[float, dict[str, float | None], int]:
        meter = CpuMeter({}, [name], setup)
        await meter.start()
        start = time.perf_counter()
        count = await work()
        elapsed = time.perf_counter() - start
        return count / elapsed, await meter.stop(), count

    seconds = args.round_seconds
    try:
        # warm-up: connections open, statements prepared, tables and indexes in cache
        await ours(args.concurrency_high, 0.5)
        await r4(args.concurrency_high, 0.5)
        await ours_batched(0.3)
        await r3(0.3)
        with profiled(run, "append", os.getpid()):
            for concurrency, label in (
                (1, "append_c1_vs_r4"),
                (args.concurrency_high, "append_c32_vs_r4"),
            ):
                mine: list[float] = []
                theirs: list[float] = []
                cpu_mine: list[dict[str, float | None]] = []
                cpu_theirs: list[dict[str, float | None]] = []
                count_mine = count_theirs = 0
                for index, baseline_first in interleaved(args.rounds):
                    for side in ("r4", "ours") if baseline_first else ("ours", "r4"):
                        if side == "r4":
                            rate, cpu, count = await timed(
                                lambda c=concurrency: r4(c, seconds)  # type: ignore[misc]
                            )
                            theirs.append(rate)
                            cpu_theirs.append(cpu)
                            count_theirs += count
                        else:
                            rate, cpu, count = await timed(
                                lambda c=concurrency: ours(c, seconds)  # type: ignore[misc]
                            )
                            mine.append(rate)
                            cpu_mine.append(cpu)
                            count_mine += count
                    log(f"{label} round {index + 1}: ours {mine[-1]:.0f}/s, R4 {theirs[-1]:.0f}/s")
                run.measures.append(
                    ratio_measure(
                        label,
                        f"EventStore.append, one 1 KB event per transaction and stream, "
                        f"{concurrency} concurrent writer(s)",
                        "events/s",
                        f"R4 eventsourcing recorder c{concurrency}",
                        mine,
                        theirs,
                        cpu_s_per_1000_events=per_thousand(summed(cpu_mine), count_mine),
                        baseline_cpu_s_per_1000_events=per_thousand(
                            summed(cpu_theirs), count_theirs
                        ),
                        details={
                            "concurrency": concurrency,
                            "round_seconds": seconds,
                            "eventsourcing_recorder": "PostgresApplicationRecorder",
                        },
                    )
                )
            mine, theirs, cpu_mine, cpu_theirs = [], [], [], []
            count_mine = count_theirs = 0
            for index, baseline_first in interleaved(args.rounds):
                for side in ("r3", "ours") if baseline_first else ("ours", "r3"):
                    if side == "r3":
                        rate, cpu, count = await timed(lambda: r3(seconds))
                        theirs.append(rate)
                        cpu_theirs.append(cpu)
                        count_theirs += count
                    else:
                        rate, cpu, count = await timed(lambda: ours_batched(seconds))
                        mine.append(rate)
                        cpu_mine.append(cpu)
                        count_mine += count
                log(f"append_vs_r3 round {index + 1}: ours {mine[-1]:.0f}/s, R3 {theirs[-1]:.0f}/s")
            run.measures.append(
                ratio_measure(
                    "append_vs_r3",
                    "EventStore.append on one connection, 100 appends (one event, one new "
                    "stream each) per transaction",
                    "events/s",
                    "R3 executemany 100 rows/txn",
                    mine,
                    theirs,
                    cpu_s_per_1000_events=per_thousand(summed(cpu_mine), count_mine),
                    baseline_cpu_s_per_1000_events=per_thousand(summed(cpu_theirs), count_theirs),
                    details={"round_seconds": seconds},
                )
            )
    finally:
        stop_flag.set()
        executor.shutdown(wait=True)
        await pool.close()
        datastore.close()


# --------------------------------------------------------------------------- relay (R1 producer)
