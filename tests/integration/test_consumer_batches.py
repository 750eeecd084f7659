"""The consumer handles a poll's events in one transaction, and falls back to one transaction per
event when the batch fails: the other events are applied once, the poison one is parked once.

Run on the real broker and Postgres with the consumer alone (a handler of our own), so that the
batches are exactly the messages waiting when it starts.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer
from faststream.kafka import KafkaBroker

from shared.consumer import IdempotentConsumer, IncomingEvent, Taken
from shared.eventstore_tables import SCHEMA_DDL
from shared.schemas.intake import DepartureReason, PersonDeparted
from shared.topics_admin import ensure_topics
from tests.conftest import eventually
from tests.integration.helpers import read_topic
from tests.stack import Stack

pytestmark = pytest.mark.integration

TOPIC = "intake.events.v2"


def departure() -> tuple[str, bytes]:
    event = PersonDeparted(
        actor="partner:tests",
        occurred_at=datetime.now(UTC),
        person_id=uuid4(),
        arrival_id=uuid4(),
        reason=DepartureReason.MOVED_ON_TO_ANOTHER_CITY,
    )
    return str(event.person_id), event.model_dump_json().encode()


async def produce_all(bootstrap: str, topic: str, bodies: list[tuple[str, bytes]]) -> None:
    """One producer, every message sent before any is awaited: they reach the broker together."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        sent = []
        for event_id, body in bodies:
            headers = {
                "ce_specversion": "1.0",
                "ce_id": event_id,
                "ce_type": "PersonDeparted.v2",
                "ce_source": "/tests",
                "content-type": "application/json",
            }
            sent.append(
                await producer.send(
                    topic,
                    body,
                    key=b"one-partition",
                    headers=[(name, text.encode()) for name, text in headers.items()],
                )
            )
        for delivery in sent:
            await delivery
    finally:
        await producer.stop()


class Handled:
    """A handler that records each departure in a table, and fails on the poisoned person."""

    def __init__(self) -> None:
        self.poisoned: set[UUID] = set()

    async def __call__(self, conn: asyncpg.Connection, incoming: IncomingEvent) -> None:
        event = incoming.event
        assert isinstance(event, PersonDeparted)
        if event.person_id in self.poisoned:
            raise RuntimeError("a handler bug this event always triggers")
        await conn.execute("INSERT INTO handled (person_id) VALUES ($1)", event.person_id)


class HandledTogether(Handled):
    """The same, but a BatchHandler: a batch's new departures recorded in one statement."""

    def __init__(self) -> None:
        super().__init__()
        self.batches = 0

    async def handle_batch(self, conn: asyncpg.Connection, events: Sequence[Taken]) -> None:
        self.batches += 1
        people = []
        for taken in events:
            assert isinstance(taken.incoming.event, PersonDeparted)
            with taken.span():
                people.append(taken.incoming.event.person_id)
        await conn.execute("INSERT INTO handled (person_id) SELECT unnest($1::uuid[])", people)


@asynccontextmanager
async def consuming(
    bootstrap: str, pool: asyncpg.Pool, handler: Handled, namespace: str
) -> AsyncIterator[IdempotentConsumer]:
    broker = KafkaBroker(bootstrap)
    consumer = IdempotentConsumer(
        service="batches",
        broker=broker,
        pool_provider=lambda: pool,
        handler=handler,
        topics=(TOPIC,),
        namespace=namespace,
    )
    await broker.start()
    try:
        yield consumer
    finally:
        await broker.stop()


async def test_a_polls_events_share_one_transaction_and_a_poison_one_is_parked_alone(
    stack: Stack, namespace: str, databases: dict[str, str]
) -> None:
    bootstrap = stack.kafka_bootstrap_servers
    topic = f"{namespace}.{TOPIC}"
    await ensure_topics(
        bootstrap, [topic, f"{namespace}.batches.deadletter.v1"], partitions=1, replication=1
    )
    pool = await asyncpg.create_pool(databases["aid"], min_size=1, max_size=4)
    assert pool is not None
    await pool.execute(SCHEMA_DDL)
    await pool.execute("CREATE TABLE handled (person_id uuid NOT NULL)")
    handler = Handled()

    async def count(query: str) -> int:
        return int(await pool.fetchval(query))

    async def handled_at_least(expected: int) -> bool:
        return await count("SELECT count(*) FROM handled") >= expected

    try:
        # 60 departures waiting before the consumer starts: it takes them in batches
        first = [departure() for _ in range(60)]
        await produce_all(bootstrap, topic, [(str(uuid4()), body) for _, body in first])
        async with consuming(bootstrap, pool, handler, namespace) as consumer:
            await eventually(
                lambda: handled_at_least(60),
                what="the first 60 departures handled",
            )
            transactions = await count("SELECT count(DISTINCT xmin::text) FROM inbox")
            assert consumer.batches_split == 0
            # at most 100 per poll: fewer transactions than events, at least one per 100
            assert 1 <= transactions < 60

        # 30 more with one that always fails in the middle; the next consumer starts with all
        # of them waiting, so they come in one poll and fail together first
        second = [departure() for _ in range(30)]
        handler.poisoned.add(UUID(second[15][0]))
        await produce_all(bootstrap, topic, [(str(uuid4()), body) for _, body in second])
        async with consuming(bootstrap, pool, handler, namespace) as consumer:
            dead = await eventually(
                lambda: _dead_letters(bootstrap, f"{namespace}.batches.deadletter.v1", 1),
                what="the poisoned departure parked",
            )
            await eventually(
                lambda: handled_at_least(89),
                what="the 29 others handled",
            )
            assert consumer.batches_split >= 1
            assert consumer.dead_lettered == 1
        [parked] = dead
        assert dict(parked.headers)["dlq_reason"].decode().startswith("handler failed")
        assert parked.value == second[15][1]
        handled = await pool.fetch("SELECT person_id, count(*) AS times FROM handled GROUP BY 1")
        expected = {UUID(person) for person, _ in first + second} - handler.poisoned
        assert {row["person_id"] for row in handled} == expected
        assert {row["times"] for row in handled} == {1}
        assert await count("SELECT count(*) FROM inbox") == 89
    finally:
        await pool.close()


async def _dead_letters(bootstrap: str, topic: str, expected: int) -> list[Any] | None:
    records = await read_topic(bootstrap, topic)
    return records if len(records) >= expected else None


@pytest.mark.parametrize("handling", [Handled, HandledTogether])
async def test_events_redelivered_within_one_poll_or_after_one_are_handled_once_in_a_batch(
    stack: Stack, namespace: str, databases: dict[str, str], handling: type[Handled]
) -> None:
    """A batch records its events in the inbox in one statement: an event met before, or twice
    in the same poll (a page the relay sent again), is handled once all the same."""
    bootstrap = stack.kafka_bootstrap_servers
    topic = f"{namespace}.{TOPIC}"
    await ensure_topics(
        bootstrap, [topic, f"{namespace}.batches.deadletter.v1"], partitions=1, replication=1
    )
    pool = await asyncpg.create_pool(databases["aid"], min_size=1, max_size=4)
    assert pool is not None
    await pool.execute(SCHEMA_DDL)
    await pool.execute("CREATE TABLE handled (person_id uuid NOT NULL)")
    try:
        before = [(str(uuid4()), departure()[1]) for _ in range(10)]
        await produce_all(bootstrap, topic, before)
        async with consuming(bootstrap, pool, handling(), namespace):
            await eventually(lambda: _handled(pool, 10), what="the first 10 departures handled")
        fresh = [(str(uuid4()), departure()[1]) for _ in range(10)]
        twice = [message for message in fresh for _ in range(2)]
        await produce_all(bootstrap, topic, before[:5] + twice)
        second = handling()
        async with consuming(bootstrap, pool, second, namespace) as consumer:
            await eventually(lambda: _handled(pool, 20), what="the 10 new departures handled")
            await eventually(
                lambda: _skipped(consumer, 15), what="the 15 redelivered messages skipped"
            )
            assert consumer.batches_split == 0
        # the handler that takes a batch at once was given it (not its events one by one)
        assert not isinstance(second, HandledTogether) or second.batches > 0
        times = await pool.fetch("SELECT count(*) AS times FROM handled GROUP BY person_id")
        assert [row["times"] for row in times] == [1] * 20
        assert await pool.fetchval("SELECT count(*) FROM inbox") == 20
    finally:
        await pool.close()


async def _handled(pool: asyncpg.Pool, expected: int) -> bool:
    return int(await pool.fetchval("SELECT count(*) FROM handled")) >= expected


async def _skipped(consumer: IdempotentConsumer, expected: int) -> bool:
    return consumer.skipped_duplicates >= expected
