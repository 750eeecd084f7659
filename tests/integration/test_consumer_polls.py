"""An idle consumer waits in one long poll that returns as soon as an event arrives, rather than
a short poll and a sleep in turn (FastStream's batch subscriber sleeps after an empty poll, which
shared.consumer turns off): an event never waits for a sleep to end, and an idle consumer wakes
about once a second, not a hundred times.

These pin the override of FastStream's ``get_msg`` in shared.consumer_poll: if an upgrade stops
calling it, FastStream's own sleeps again and the first test fails."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import asyncpg
import pytest
from faststream.kafka import KafkaBroker

from shared.consumer import IdempotentConsumer
from shared.consumer_poll import IDLE_POLL_MS
from shared.eventstore_tables import SCHEMA_DDL
from shared.topics_admin import ensure_topics
from tests.conftest import eventually
from tests.integration.test_consumer_batches import TOPIC, Handled
from tests.stack import Stack

pytestmark = pytest.mark.integration

IDLE_SECONDS = 3.0


class Polls:
    """Counts the aiokafka consumer's polls (each then done by the real consumer)."""

    def __init__(self, consumer: Any) -> None:
        self.count = 0
        self._getmany = consumer.getmany
        consumer.getmany = self

    async def __call__(self, *partitions: Any, **options: Any) -> Any:
        self.count += 1
        return await self._getmany(*partitions, **options)


@asynccontextmanager
async def idle_consumer(
    stack: Stack, namespace: str, database: str
) -> AsyncIterator[tuple[IdempotentConsumer, asyncpg.Pool]]:
    bootstrap = stack.kafka_bootstrap_servers
    await ensure_topics(
        bootstrap,
        [f"{namespace}.{TOPIC}", f"{namespace}.polls.deadletter.v1"],
        partitions=1,
        replication=1,
    )
    pool = await asyncpg.create_pool(database, min_size=1, max_size=4)
    assert pool is not None
    await pool.execute(SCHEMA_DDL)
    await pool.execute("CREATE TABLE handled (person_id uuid NOT NULL)")
    broker = KafkaBroker(bootstrap)
    consumer = IdempotentConsumer(
        service="polls",
        broker=broker,
        pool_provider=lambda: pool,
        handler=Handled(),
        topics=(TOPIC,),
        namespace=namespace,
    )
    await broker.start()
    try:
        yield consumer, pool
    finally:
        await broker.stop()
        await pool.close()


async def test_an_idle_consumer_polls_about_once_a_second_and_never_sleeps_between_polls(
    stack: Stack, namespace: str, databases: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sleeps: list[float] = []
    real_sleep = anyio.sleep

    async def recorded_sleep(delay: float, *args: Any, **kwargs: Any) -> None:
        sleeps.append(delay)
        await real_sleep(delay, *args, **kwargs)

    async with idle_consumer(stack, namespace, databases["aid"]) as (consumer, _):
        kafka_consumer = consumer.subscriber.consumer
        assert kafka_consumer is not None
        # joined and assigned: from here on the consumer has nothing to do but wait
        await eventually(
            lambda: asyncio.sleep(0, bool(kafka_consumer.assignment())),
            what="the partition assigned",
        )
        polls = Polls(kafka_consumer)
        monkeypatch.setattr(anyio, "sleep", recorded_sleep)
        await asyncio.sleep(IDLE_SECONDS)
        monkeypatch.undo()
    assert sleeps == []  # FastStream's sleep after an empty poll (batch_timeout_ms) is off
    # one poll per IDLE_POLL_MS while idle, give or take the one running at each end; with
    # FastStream's own loop and a 10 ms timeout it was one poll and one sleep every 20 ms
    assert 1 <= polls.count <= IDLE_SECONDS * 1000 / IDLE_POLL_MS + 2
