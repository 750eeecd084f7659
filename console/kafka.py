"""Reading consumer lag and dead-letter topics, and replaying a dead letter."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

DLQ_PREFIX = "dlq_"


@contextlib.asynccontextmanager
async def admin_client(bootstrap: str) -> AsyncIterator[Any]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        yield admin
    finally:
        await admin.close()


@contextlib.asynccontextmanager
async def plain_consumer(bootstrap: str) -> AsyncIterator[Any]:
    """A consumer in no group: it reads and commits nothing on anyone's behalf."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False
    )
    await consumer.start()
    try:
        yield consumer
    finally:
        # aiokafka re-raises the CancelledError of its own task when a groupless consumer stops
        with contextlib.suppress(asyncio.CancelledError):
            await consumer.stop()


async def partitions_of(admin: Any, topic: str) -> list[int]:
    """The topic's partitions now; none when the topic does not exist (yet)."""
    [description] = await admin.describe_topics([topic])
    if description.get("error_code"):
        return []
    return sorted(int(partition["partition"]) for partition in description["partitions"])


@dataclass(frozen=True)
class PartitionLag:
    group: str
    topic: str
    partition: int
    committed: int | None
    end: int
    lag: int


async def consumer_lag(bootstrap: str, groups: dict[str, list[str]]) -> list[PartitionLag]:
    """Per group and partition: committed offset vs end offset. A partition without a committed
    offset lags by everything it holds."""
    rows: list[PartitionLag] = []
    async with admin_client(bootstrap) as admin, plain_consumer(bootstrap) as consumer:
        for group, topics in groups.items():
            committed = await admin.list_consumer_group_offsets(group)
            tps = [
                TopicPartition(topic, partition)
                for topic in topics
                for partition in await partitions_of(admin, topic)
            ]
            if not tps:
                continue
            ends = await consumer.end_offsets(tps)
            starts = await consumer.beginning_offsets(tps)
            for tp in tps:
                meta = committed.get(tp)
                offset = meta.offset if meta is not None and meta.offset >= 0 else None
                end = int(ends[tp])
                lag = end - (offset if offset is not None else int(starts[tp]))
                rows.append(PartitionLag(group, tp.topic, tp.partition, offset, end, lag))
    return rows


async def message_count(bootstrap: str, topic: str) -> int:
    """How many messages a topic holds (end minus beginning offsets, over its partitions)."""
    async with admin_client(bootstrap) as admin, plain_consumer(bootstrap) as consumer:
        tps = [TopicPartition(topic, p) for p in await partitions_of(admin, topic)]
        if not tps:
            return 0
        ends = await consumer.end_offsets(tps)
        starts = await consumer.beginning_offsets(tps)
        return sum(int(ends[tp]) - int(starts[tp]) for tp in tps)


@dataclass(frozen=True)
class DeadLetter:
    partition: int
    offset: int
    timestamp: datetime
    key: bytes | None
    headers: dict[str, str]
    body: bytes

    @property
    def ref(self) -> str:
        return f"{self.partition}:{self.offset}"

    def summary(self) -> dict[str, Any]:
        return {
            "partition": self.partition,
            "offset": self.offset,
            "time": self.timestamp.isoformat(),
            "original_topic": self.headers.get("dlq_original_topic"),
            "original_partition": _int_or_none(self.headers.get("dlq_original_partition")),
            "original_offset": _int_or_none(self.headers.get("dlq_original_offset")),
            "reason": self.headers.get("dlq_reason"),
            "consumer": self.headers.get("dlq_consumer"),
            "ce_id": self.headers.get("ce_id"),
            "ce_type": self.headers.get("ce_type"),
        }

    def detail(self) -> dict[str, Any]:
        return {
            **self.summary(),
            "key": None if self.key is None else self.key.decode("utf-8", "replace"),
            "headers": self.headers,
            "body": self.body.decode("utf-8", "replace"),
        }

    def replay_headers(self, overrides: dict[str, str]) -> dict[str, str]:
        """The original headers: the dead-letter ones removed, the operator's fixes applied."""
        kept = {k: v for k, v in self.headers.items() if not k.startswith(DLQ_PREFIX)}
        return {**kept, **overrides}


def _int_or_none(text: str | None) -> int | None:
    return int(text) if text is not None and text.lstrip("-").isdigit() else None


def _dead_letter(record: Any) -> DeadLetter:
    return DeadLetter(
        partition=record.partition,
        offset=record.offset,
        timestamp=datetime.fromtimestamp(record.timestamp / 1000, UTC),
        key=record.key,
        headers={name: value.decode("utf-8", "replace") for name, value in record.headers},
        body=record.value or b"",
    )


async def read_dead_letters(
    bootstrap: str, topic: str, progress: Callable[[int, int], None] | None = None
) -> list[DeadLetter]:
    """Every message of a dead-letter topic, by partition and offset."""
    async with admin_client(bootstrap) as admin, plain_consumer(bootstrap) as consumer:
        tps = [TopicPartition(topic, p) for p in await partitions_of(admin, topic)]
        if not tps:
            return []
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        starts = await consumer.beginning_offsets(tps)
        total = sum(int(ends[tp]) - int(starts[tp]) for tp in tps)
        letters: list[DeadLetter] = []
        while [tp for tp in tps if await consumer.position(tp) < ends[tp]]:
            batch = await consumer.getmany(timeout_ms=1000)
            for tp, records in batch.items():
                letters.extend(_dead_letter(r) for r in records if r.offset < ends[tp])
            if progress:
                progress(len(letters), total)
        return sorted(letters, key=lambda letter: (letter.partition, letter.offset))


async def read_dead_letter(
    bootstrap: str, topic: str, partition: int | None, offset: int
) -> DeadLetter | None:
    """One message of a dead-letter topic; with no partition, the one partition holding
    ``offset`` (ambiguous offsets raise ValueError)."""
    async with admin_client(bootstrap) as admin, plain_consumer(bootstrap) as consumer:
        partitions = await partitions_of(admin, topic)
        tps = [TopicPartition(topic, p) for p in partitions if partition in (None, p)]
        if not tps:
            return None
        ends = await consumer.end_offsets(tps)
        starts = await consumer.beginning_offsets(tps)
        holding = [tp for tp in tps if int(starts[tp]) <= offset < int(ends[tp])]
        if not holding:
            return None
        if len(holding) > 1:
            found = ", ".join(f"{tp.partition}:{offset}" for tp in holding)
            raise ValueError(f"offset {offset} is in several partitions; name one of {found}")
        [tp] = holding
        consumer.assign([tp])
        consumer.seek(tp, offset)
        record = await asyncio.wait_for(consumer.getone(tp), timeout=15)
        return _dead_letter(record)


async def replay(bootstrap: str, letter: DeadLetter, overrides: dict[str, str]) -> str:
    """Publish the original body and headers to the original topic and partition."""
    topic = letter.headers.get("dlq_original_topic")
    if not topic:
        raise ValueError("the dead letter names no original topic (dlq_original_topic)")
    partition = _int_or_none(letter.headers.get("dlq_original_partition"))
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        sent = await producer.send_and_wait(
            topic,
            letter.body,
            key=letter.key,
            partition=partition,
            headers=[(k, v.encode()) for k, v in letter.replay_headers(overrides).items()],
        )
    finally:
        await producer.stop()
    return f"{topic}[{sent.partition}]@{sent.offset}"
