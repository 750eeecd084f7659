"""e2e: HTTP -> append + outbox -> relay -> Kafka -> housing's consumer -> projection committed,
vs R1 (raw aiokafka produce then consume, two processes)."""

from __future__ import annotations

import asyncio
import json
import statistics
import time

from benchmarks.cases.pipeline import pipeline, published_and_consumed, wait_consumed
from benchmarks.children import Worker
from benchmarks.loadgen import closed_loop
from benchmarks.meters import CpuMeter, per_thousand, summed
from benchmarks.payloads import Arrivals, make_events
from benchmarks.results import ratio_measure
from benchmarks.run import Run, interleaved, log


async def case_e2e(run: Run, arrivals: Arrivals) -> None:
    from shared.topics_admin import ensure_topics

    args = run.args
    p = await pipeline(run)
    r1_topic = f"{run.namespace}.r1-e2e"
    await ensure_topics(args.kafka, [r1_topic], args.partitions)
    payloads = make_events(run.rng, 500)
    payload_file = run.log_dir / "e2e-payloads.json"
    payload_file.write_text(json.dumps([e.model_dump_json().encode().hex() for e in payloads]))
    host = "127.0.0.1"
    mine: list[float] = []
    theirs: list[float] = []
    arrival_rates: list[float] = []
    cpu_mine: list[dict[str, float | None]] = []
    cpu_theirs: list[dict[str, float | None]] = []
    #: the Postgres CPU of housing's database alone (part of cpu_mine's postgres)
    housing_postgres: list[float] = []
    events_mine = events_theirs = 0
    # warm-up: the consumer group joined, the relay's producer connected, caches warm
    await closed_loop(
        host,
        p.intake.port,
        arrivals.requester(f"{host}:{p.intake.port}", p.intake.partner_key, "e2e-warm"),
        concurrency=4,
        count=50,
        expect=201,
    )
    await wait_consumed(p)

    async def ours() -> None:
        nonlocal events_mine
        published_before, _ = await published_and_consumed(p)
        meter = CpuMeter(
            {"intake": p.intake.pid, "housing": p.housing.pid},
            [p.intake.database or "", p.housing.database or ""],
            run.admin,
            kafka=True,
        )
        housing_meter = CpuMeter({}, [p.housing.database or ""], run.admin)
        await meter.start()
        await housing_meter.start()
        start = time.perf_counter()
        result = await closed_loop(
            host,
            p.intake.port,
            arrivals.requester(f"{host}:{p.intake.port}", p.intake.partner_key, "e2e"),
            concurrency=args.http_concurrency,
            count=args.e2e_arrivals,
            expect=201,
        )
        if result.failed:
            raise RuntimeError(f"e2e: {result.failed} failed, first {result.first_failure}")
        end = await wait_consumed(p)
        spent = await meter.stop()
        housing_postgres.append((await housing_meter.stop())["postgres"] or 0.0)
        published, _ = await published_and_consumed(p)
        events = published - published_before
        events_mine += events
        mine.append(events / (end - start))
        arrival_rates.append(result.ok / (end - start))
        cpu_mine.append(spent)

    async def r1() -> None:
        nonlocal events_theirs
        count = args.r1_events
        consumer = Worker(
            "consume",
            {
                "bootstrap": args.kafka,
                "topic": r1_topic,
                "count": count,
                "partitions": args.partitions,
            },
        )
        producer = Worker(
            "produce",
            {
                "bootstrap": args.kafka,
                "topic": r1_topic,
                "count": count,
                "payloads": str(payload_file),
            },
        )
        consumer_pid = await consumer.start()
        producer_pid = await producer.start()
        meter = CpuMeter(
            {"r1_producer": producer_pid, "r1_consumer": consumer_pid}, [], run.admin, kafka=True
        )
        await meter.start()
        producer.go()
        produced, consumed = await asyncio.gather(producer.result(), consumer.result())
        spent = await meter.stop()
        spent["r1_producer"], spent["r1_consumer"] = produced["cpu_s"], consumed["cpu_s"]
        events_theirs += count
        theirs.append(count / (consumed["finished"] - produced["started"]))
        cpu_theirs.append(spent)

    profile = run.profiler("e2e-intake", p.intake.pid)
    profile_housing = run.profiler("e2e-housing", p.housing.pid)
    for index, baseline_first in interleaved(args.rounds):
        if index == 1:
            profile.start(p.intake.pid)
            profile_housing.start(p.housing.pid)
        for step in (r1, ours) if baseline_first else (ours, r1):
            await step()
        if index == 1:
            profile.stop()
            profile_housing.stop()
        log(
            f"e2e_intake round {index + 1}: {mine[-1]:.0f} events/s "
            f"({arrival_rates[-1]:.1f} arrivals/s), R1 {theirs[-1]:.0f}/s"
        )
    for sample in (*cpu_mine, *cpu_theirs):
        sample.pop("harness", None)
    run.shared["e2e_max_arrivals_per_s"] = statistics.median(arrival_rates)
    run.measures.append(
        ratio_measure(
            "e2e_intake",
            f"{args.e2e_arrivals} POST /v1/arrivals ({args.http_concurrency} connections) until "
            "housing has committed every intake event (inbox + projection): events published "
            "by intake per second, first request to last commit",
            "events/s",
            "R1 aiokafka produce+consume",
            mine,
            theirs,
            cpu_s_per_1000_events=per_thousand(summed(cpu_mine), events_mine),
            baseline_cpu_s_per_1000_events=per_thousand(summed(cpu_theirs), events_theirs),
            details={
                "arrivals_per_s": arrival_rates,
                "r1_events_per_round": args.r1_events,
                "events_per_arrival": events_mine / (args.e2e_arrivals * len(mine)),
                "postgres_for_housing_cpu_s_per_1000_events": 1000
                * sum(housing_postgres)
                / max(events_mine, 1),
            },
        )
    )


# --------------------------------------------------------------------------- latency
