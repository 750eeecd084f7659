"""The consumer: the three topics from the beginning, with its own consumer group,
deduplicated on ``ce_id``, until the topics are drained (``until_idle``) or forever.

The figures live in memory, so every run rebuilds them from the start of the topics: the
consumer seeks to the beginning of each partition it is given and never commits offsets. (A
durable subscriber would keep the inbox of ``ce_id`` and its figures in one database and commit
the offsets after each transaction, see docs/subscribers.md.)
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition

from examples.statistics.contracts import (
    DEFAULT_CONTRACTS,
    TOPICS,
    Malformed,
    Message,
    TopicContract,
    load_contracts,
)
from examples.statistics.figures import Statistics

log = logging.getLogger("examples.statistics")


@dataclass
class Outcome:
    """What a run saw, beside the figures."""

    statistics: Statistics = field(default_factory=Statistics)
    seen: set[str] = field(default_factory=set)
    duplicates: int = 0
    unknown_types: Counter[str] = field(default_factory=Counter)
    malformed: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "events": len(self.seen),
            "duplicates_skipped": self.duplicates,
            "unknown_types_skipped": dict(self.unknown_types),
            "malformed": len(self.malformed),
        }

    def take(self, contract: TopicContract, record: Any) -> bool:
        """Apply one Kafka record; True when it changed the figures' facts."""
        try:
            read = contract.read(record.headers or (), record.value)
        except Malformed as error:
            where = f"{record.topic}[{record.partition}]@{record.offset}"
            # a real subscriber parks it on a dead-letter topic of its own; never silently
            log.warning("malformed message at %s: %s", where, error)
            self.malformed.append(f"{where}: {error}")
            return False
        if read.ce_id in self.seen:
            self.duplicates += 1
            return False
        self.seen.add(read.ce_id)
        if isinstance(read, Message):
            self.statistics.apply(read.event_type, read.body)
            return True
        self.unknown_types[f"{read.topic}:{read.event_type}"] += 1
        return False


class FromTheBeginning(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, consumer: AIOKafkaConsumer) -> None:
        self.consumer = consumer

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        return None

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        if assigned:
            await self.consumer.seek_to_beginning(*assigned)


def topic_names(namespace: str) -> dict[str, str]:
    """Physical topic name -> contract topic name."""
    prefix = f"{namespace}." if namespace else ""
    return {f"{prefix}{topic}": topic for topic in TOPICS}


async def drained(consumer: AIOKafkaConsumer, assigned: set[TopicPartition]) -> bool:
    ends = await consumer.end_offsets(list(assigned))
    for partition in assigned:
        if await consumer.position(partition) < ends[partition]:
            return False
    return True


async def run(
    *,
    bootstrap_servers: str,
    namespace: str = "",
    group_id: str | None = None,
    contracts_dir: Path = DEFAULT_CONTRACTS,
    until_idle: bool = True,
    idle_seconds: float = 2.0,
    start_timeout: float = 60.0,
    on_caught_up: Callable[[Outcome], Awaitable[None]] | None = None,
) -> Outcome:
    """Consume until every assigned partition is read to its end and nothing came for
    ``idle_seconds`` (``until_idle``), or forever, calling ``on_caught_up`` each time the
    topics are drained after new events."""
    names = topic_names(namespace)
    loaded = load_contracts(contracts_dir)
    contracts = {physical: loaded[topic] for physical, topic in names.items()}
    group = group_id or f"{namespace}.statistics-example".lstrip(".")
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        client_id="statistics-example",
    )
    outcome = Outcome()
    await consumer.start()
    try:
        consumer.subscribe(list(names), listener=FromTheBeginning(consumer))
        started = time.monotonic()
        quiet_since = time.monotonic()
        changed = False
        while True:
            batches = await consumer.getmany(timeout_ms=500, max_records=1000)
            for partition, records in batches.items():
                contract = contracts[partition.topic]
                for record in records:
                    changed = outcome.take(contract, record) or changed
            if any(batches.values()):
                quiet_since = time.monotonic()
                continue
            assigned = set(consumer.assignment())
            if not assigned:
                if time.monotonic() - started > start_timeout:
                    raise TimeoutError(f"no partition of {sorted(names)} assigned to {group}")
                continue
            if not await drained(consumer, assigned):
                continue
            if changed and on_caught_up is not None:
                await on_caught_up(outcome)
            changed = False
            if until_idle and time.monotonic() - quiet_since >= idle_seconds:
                return outcome
    finally:
        await consumer.stop()


def run_sync(**options: Any) -> Outcome:
    return asyncio.run(run(**options))
