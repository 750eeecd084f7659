"""The harness's child processes, one job each, so that each has its own CPU figure and its own
event loop: R1's producer and consumer (raw aiokafka) and the real outbox relay.

    python -m benchmarks.workers produce|consume|relay '<json arguments>'

A worker prints ``ready`` when it is set up (the harness then starts the clock or the peer),
and one JSON line with its figures when done: ``count``, ``started`` and ``finished`` (wall
clock, ``time.time()``, comparable across the processes of one machine) and ``cpu_s`` (its own
user + system CPU time, from ``os.times()``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import threading
import time
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from benchmarks.common import backend_pids, cpu_of


def _cpu() -> float:
    times = os.times()
    return times.user + times.system


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _payloads(path: str) -> list[bytes]:
    with open(path) as file:
        return [bytes.fromhex(value) for value in json.load(file)]


_GO: asyncio.Event | None = None


def _watch_stdin(loop: asyncio.AbstractEventLoop, go: asyncio.Event) -> None:
    """The harness's first line on our stdin is the start signal; the end of stdin means the
    harness is gone: then we go too (no orphan keeps loading the machine)."""
    for _ in sys.stdin:
        loop.call_soon_threadsafe(go.set)
    os._exit(3)


async def _wait_go() -> None:
    assert _GO is not None
    await _GO.wait()


def _start_watchdog() -> None:
    global _GO
    _GO = asyncio.Event()
    thread = threading.Thread(
        target=_watch_stdin, args=(asyncio.get_running_loop(), _GO), daemon=True
    )
    thread.start()


async def produce(args: dict[str, Any]) -> dict[str, Any]:
    """R1's producer: the same count of the same payloads the relay publishes, keyed like it,
    with the relay's producer settings (idempotent, acks=all, linger 5 ms), all sends in
    flight, then every acknowledgement awaited."""
    payloads = _payloads(args["payloads"])
    keys = [f"stream-{index}".encode() for index in range(len(payloads))]
    producer = AIOKafkaProducer(
        bootstrap_servers=args["bootstrap"],
        enable_idempotence=True,
        acks="all",
        linger_ms=5,
        client_id="bench-r1-producer",
    )
    await producer.start()
    try:
        # a first message, so that metadata is fetched before the clock starts
        await (await producer.send(args["topic"], value=b"{}", key=b"warm-up"))
        _say("ready")
        await _wait_go()
        started, cpu = time.time(), _cpu()
        deliveries = []
        count = args["count"]
        for index in range(count):
            position = index % len(payloads)
            deliveries.append(
                await producer.send(args["topic"], value=payloads[position], key=keys[position])
            )
        await asyncio.gather(*deliveries)
        return {"count": count, "started": started, "finished": time.time(), "cpu_s": _cpu() - cpu}
    finally:
        await producer.stop()


async def consume(args: dict[str, Any]) -> dict[str, Any]:
    """R1's consumer: every partition of the topic assigned from its current end, batches of
    ``getmany``, until ``count`` messages (other than the producer's warm-up) are in."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=args["bootstrap"],
        enable_auto_commit=False,
        client_id="bench-r1-consumer",
        max_partition_fetch_bytes=4 * 1024 * 1024,
    )
    await consumer.start()
    try:
        # the harness created the topic with this many partitions
        assigned = [TopicPartition(args["topic"], p) for p in range(args["partitions"])]
        consumer.assign(assigned)
        await consumer.seek_to_end(*assigned)
        for partition in assigned:  # resolve the positions now, not on the first fetch
            await consumer.position(partition)
        _say("ready")
        cpu = _cpu()
        got, first = 0, None
        while got < args["count"]:
            batches = await consumer.getmany(timeout_ms=200, max_records=5000)
            for records in batches.values():
                real = [record for record in records if record.key != b"warm-up"]
                if real and first is None:
                    first = time.time()
                got += len(real)
        return {"count": got, "first": first, "finished": time.time(), "cpu_s": _cpu() - cpu}
    finally:
        await consumer.stop()


async def relay(args: dict[str, Any]) -> dict[str, Any]:
    """The real ``shared.outbox.OutboxRelay`` over a database holding ``count`` unpublished
    events: from its start until its checkpoint reaches the last of them."""
    from shared.database import create_pool
    from shared.outbox import OutboxRelay

    pool = await create_pool(args["database_url"], args.get("pool_max", 10))
    monitor = await asyncpg.connect(args["database_url"])
    try:
        last = await monitor.fetchval("SELECT max(global_position) FROM events")
        _say("ready")
        await _wait_go()
        database = await monitor.fetchval("SELECT current_database()")
        backends = cpu_of(await backend_pids(monitor, database))
        started, cpu = time.time(), _cpu()
        relay = OutboxRelay(
            pool, args["bootstrap"], source="/services/intake", namespace=args["namespace"]
        )
        task = asyncio.create_task(relay.run())
        while True:
            position = await monitor.fetchval(
                "SELECT global_position FROM outbox_checkpoint WHERE relay = 'main'"
            )
            if position is not None and position >= last:
                break
            if task.done():
                task.result()  # raises what stopped it
                raise RuntimeError("the relay stopped before publishing everything")
            await asyncio.sleep(0.005)
        finished, spent = time.time(), _cpu() - cpu
        after = cpu_of(await backend_pids(monitor, database) | set(backends))
        postgres = sum(value - backends.get(pid, 0.0) for pid, value in after.items())
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return {
            "count": args["count"],
            "started": started,
            "finished": finished,
            "cpu_s": spent,
            "postgres_cpu_s": postgres,
        }
    finally:
        await monitor.close()
        await pool.close()


JOBS = {"produce": produce, "consume": consume, "relay": relay}


def main() -> None:
    job, arguments = sys.argv[1], json.loads(sys.argv[2])

    async def work() -> dict[str, Any]:
        _start_watchdog()
        return await JOBS[job](arguments)

    result = asyncio.run(work())
    _say(json.dumps(result))


if __name__ == "__main__":
    main()
