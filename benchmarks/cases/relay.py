"""relay: the real OutboxRelay (its own process) vs R1's producer alone (its own process)."""

from __future__ import annotations

import contextlib
import json

from benchmarks.children import Worker
from benchmarks.meters import CpuMeter, per_thousand, summed
from benchmarks.payloads import ROW_COLUMNS, event_row, make_events
from benchmarks.results import ratio_measure
from benchmarks.run import Run, interleaved, log, profiled


async def case_relay(run: Run) -> None:
    from shared.eventstore_tables import SCHEMA_DDL
    from shared.topics import INTAKE_EVENTS, physical
    from shared.topics_admin import ensure_topics

    args = run.args
    count = args.relay_events
    name, url = await run.database("relay")
    setup = await run.monitor(url)
    await setup.execute(SCHEMA_DDL)
    events = make_events(run.rng, 1000)
    rows = [event_row(events[i % len(events)], INTAKE_EVENTS) for i in range(count)]
    await setup.copy_records_to_table("events", records=rows, columns=ROW_COLUMNS)
    await setup.execute("ANALYZE events")
    namespace = run.topic_namespace("relay")
    r1_topic = f"{run.namespace}.r1-producer"
    await ensure_topics(args.kafka, [physical(INTAKE_EVENTS, namespace), r1_topic], args.partitions)
    payload_file = run.log_dir / "relay-payloads.json"
    payload_file.write_text(
        json.dumps([event.model_dump_json().encode().hex() for event in events])
    )
    relay_args = {
        "database_url": url,
        "bootstrap": args.kafka,
        "namespace": namespace,
        "count": count,
    }
    producer_args = {
        "bootstrap": args.kafka,
        "topic": r1_topic,
        "count": count,
        "payloads": str(payload_file),
    }
    mine: list[float] = []
    theirs: list[float] = []
    cpu_mine: list[dict[str, float | None]] = []
    cpu_theirs: list[dict[str, float | None]] = []

    async def relay_round() -> None:
        await setup.execute("DELETE FROM outbox_checkpoint")
        worker = Worker("relay", relay_args)
        pid = await worker.start()
        meter = CpuMeter({"relay": pid}, [name], setup, kafka=True)
        with profiled(run, "relay", pid) if not mine else contextlib.nullcontext():
            await meter.start()
            worker.go()
            result = await worker.result()
            spent = await meter.stop()
        spent["relay"] = result["cpu_s"]  # its own reading, without its start-up
        spent["postgres"] = result["postgres_cpu_s"]  # its backends, read while they live
        mine.append(count / (result["finished"] - result["started"]))
        cpu_mine.append(spent)

    async def producer_round() -> None:
        worker = Worker("produce", producer_args)
        pid = await worker.start()
        meter = CpuMeter({"r1_producer": pid}, [], setup, kafka=True)
        await meter.start()
        worker.go()
        result = await worker.result()
        spent = await meter.stop()
        spent["r1_producer"] = result["cpu_s"]
        theirs.append(count / (result["finished"] - result["started"]))
        cpu_theirs.append(spent)

    for index, baseline_first in interleaved(args.rounds):
        for step in (
            (producer_round, relay_round) if baseline_first else (relay_round, producer_round)
        ):
            await step()
        log(
            f"outbox_relay round {index + 1}: relay {mine[-1]:.0f}/s, "
            f"R1 producer {theirs[-1]:.0f}/s"
        )
    for sample in (*cpu_mine, *cpu_theirs):
        sample.pop("harness", None)
    run.measures.append(
        ratio_measure(
            "outbox_relay",
            f"shared.outbox.OutboxRelay (own process) publishing {count} committed 1 KB events "
            "to Kafka (acks=all, idempotent) until its checkpoint passes the last",
            "events/s",
            "R1 producer alone",
            mine,
            theirs,
            cpu_s_per_1000_events=per_thousand(summed(cpu_mine), count * len(mine)),
            baseline_cpu_s_per_1000_events=per_thousand(summed(cpu_theirs), count * len(theirs)),
            details={"events_per_round": count, "partitions": args.partitions},
        )
    )


# --------------------------------------------------------------------------- HTTP accept, R0
