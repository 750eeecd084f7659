"""The Postgres event store and outbox relay against a real database and broker."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID, uuid4

import asyncpg
import pytest

from shared.decider import execute, load_state, load_streams
from shared.decision import Decider
from shared.eventstore import Causation, ConcurrencyConflict, EventStore
from shared.migrations import upgrade
from shared.outbox import OutboxRelay
from shared.schemas.housing import ShelterOpened
from shared.schemas.shelters import ShelterKind, Unit
from tests.integration.helpers import read_topic
from tests.stack import REPO, Stack

pytestmark = pytest.mark.integration

MIGRATIONS = REPO / "services" / "housing" / "migrations"


@pytest.fixture
async def pool(databases: dict[str, str]) -> AsyncIterator[asyncpg.Pool]:
    await asyncio.to_thread(upgrade, databases["housing"], Path(MIGRATIONS))
    pool = await asyncpg.create_pool(databases["housing"], min_size=2, max_size=4)
    yield pool
    await pool.close()


#: the label of each shelter these tests open (the topic carries no names: ids tell them apart)
LABELS: dict[UUID, str] = {}


def opened(label: str) -> ShelterOpened:
    event = ShelterOpened(
        actor="operator",
        occurred_at=datetime.now(UTC),
        shelter_id=uuid4(),
        kind=ShelterKind.GYM,
        units=(Unit(unit_id=uuid4(), places=40),),
    )
    LABELS[event.shelter_id] = label
    return event


def label(event: object) -> str:
    return LABELS[event.shelter_id]  # type: ignore[attr-defined]


async def test_two_concurrent_appends_to_one_stream_one_wins_the_other_conflicts(
    pool: asyncpg.Pool,
) -> None:
    store = EventStore(topic="housing.events.v2")
    both_read = asyncio.Barrier(2)

    async def writer(name: str) -> str:
        async with pool.acquire() as conn, conn.transaction():
            version = len(await store.read_stream(conn, "stream-1"))
            await both_read.wait()  # both decided on version 0
            await store.append(conn, "stream-1", version, [opened(name)], Causation.new())
            return name

    results = await asyncio.gather(writer("first"), writer("second"), return_exceptions=True)

    winners = [result for result in results if isinstance(result, str)]
    conflicts = [result for result in results if isinstance(result, ConcurrencyConflict)]
    assert len(winners) == 1 and len(conflicts) == 1
    async with pool.acquire() as conn:
        stored = await store.read_stream(conn, "stream-1")
    assert [label(event.event) for event in stored] == winners
    assert [event.version for event in stored] == [1]


async def test_appends_continue_the_stream_and_read_all_follows_positions(
    pool: asyncpg.Pool,
) -> None:
    store = EventStore(topic=None)
    async with pool.acquire() as conn, conn.transaction():
        await store.append(conn, "a", 0, [opened("a1"), opened("a2")], Causation.new())
        await store.append(conn, "b", 0, [opened("b1")], Causation.new())
        await store.append(conn, "a", 2, [opened("a3")], Causation.new())
    async with pool.acquire() as conn:
        stream = await store.read_stream(conn, "a")
        everything = await store.read_all(conn)
        tail = await store.read_all(conn, after_position=everything[1].global_position)
    assert [(e.version, label(e.event)) for e in stream] == [
        (1, "a1"),
        (2, "a2"),
        (3, "a3"),
    ]
    assert [label(e.event) for e in everything] == ["a1", "a2", "b1", "a3"]
    assert [label(e.event) for e in tail] == ["b1", "a3"]


async def test_the_relay_publishes_an_event_that_committed_after_a_later_position(
    pool: asyncpg.Pool, stack: Stack, namespace: str
) -> None:
    """Positions are drawn at insert, commits happen later: the relay must not skip the early
    position that commits last."""
    store = EventStore(topic="housing.events.v2")
    relay = OutboxRelay(pool, stack.kafka_bootstrap_servers, "/tests", namespace=namespace)
    slow = await pool.acquire()
    slow_tx = slow.transaction()
    await slow_tx.start()
    await store.append(slow, "slow", 0, [opened("slow")], Causation.new())  # lower position
    async with pool.acquire() as conn, conn.transaction():
        await store.append(conn, "fast", 0, [opened("fast")], Causation.new())
    relay_task = asyncio.create_task(relay.run())
    try:
        await asyncio.sleep(2.0)  # the relay may publish "fast" only if it is safe
        await slow_tx.commit()
        await pool.release(slow)
        topic = f"{namespace}.housing.events.v2"
        for _ in range(100):
            records = await read_topic(stack.kafka_bootstrap_servers, topic)
            if len(records) >= 2:
                break
            await asyncio.sleep(0.2)
    finally:
        relay_task.cancel()
        await asyncio.gather(relay_task, return_exceptions=True)
    names = sorted(LABELS[UUID(json.loads(record.value)["shelter_id"])] for record in records)
    assert names == ["fast", "slow"]
    headers = dict(records[0].headers)
    assert headers["ce_specversion"] == b"1.0"
    assert headers["ce_type"] == b"ShelterOpened.v2"
    assert {"ce_id", "ce_source", "ce_time", "ce_subject", "correlation_id"} <= set(headers)


def counting_decider() -> Decider[str, int]:
    """Counts a stream's events; each command appends one more."""
    return Decider(0, lambda name, _count: [opened(name)], lambda count, _event: count + 1)


async def test_a_cached_state_never_keeps_events_of_a_transaction_that_rolled_back(
    pool: asyncpg.Pool,
) -> None:
    store, counter = EventStore(topic=None), counting_decider()
    async with pool.acquire() as conn, conn.transaction():
        await execute(conn, store, counter, "camp", "first", Causation.new())

    class RolledBack(Exception):
        pass

    with pytest.raises(RolledBack):
        async with pool.acquire() as conn, conn.transaction():
            await execute(conn, store, counter, "camp", "second", Causation.new())
            # the state loaded here holds the second event, appended by this transaction
            assert (await load_state(conn, store, counter, "camp")) == (2, 2)
            raise RolledBack
    async with pool.acquire() as conn:
        assert await load_state(conn, store, counter, "camp") == (1, 1)
        # a third command appends at version 2, not after the phantom second event
        await execute(conn, store, counter, "camp", "third", Causation.new())
        assert await conn.fetchval("SELECT max(version) FROM events WHERE stream_id = 'camp'") == 2


async def test_streams_loaded_together_never_cache_events_of_a_transaction_that_rolled_back(
    pool: asyncpg.Pool,
) -> None:
    # as load_state, for several streams in one read (aid takes an arrival's people in so)
    store, counter = EventStore(topic=None), counting_decider()
    wanted = {"camp": counter, "gym": counter, "mosque": counter}
    async with pool.acquire() as conn, conn.transaction():
        await execute(conn, store, counter, "camp", "first", Causation.new())
        await execute(conn, store, counter, "gym", "first", Causation.new())

    class RolledBack(Exception):
        pass

    with pytest.raises(RolledBack):
        async with pool.acquire() as conn, conn.transaction():
            await execute(conn, store, counter, "camp", "second", Causation.new())
            loaded = await load_streams(conn, store, wanted)
            assert loaded == {"camp": (2, 2), "gym": (1, 1), "mosque": (0, 0)}
            raise RolledBack
    async with pool.acquire() as conn:
        assert await load_streams(conn, store, wanted) == {
            "camp": (1, 1), "gym": (1, 1), "mosque": (0, 0)
        }  # fmt: skip
        assert store.states.get((id(counter), "camp")) == (1, 1)


async def test_a_cached_state_catches_up_with_what_another_instance_appended(
    pool: asyncpg.Pool,
) -> None:
    mine, other, counter = EventStore(topic=None), EventStore(topic=None), counting_decider()
    async with pool.acquire() as conn:
        for name in ("a", "b", "c"):
            await execute(conn, mine, counter, "stock:bedding", name, Causation.new())
        assert mine.states.get((id(counter), "stock:bedding")) == (2, 2)  # the state it read
        await execute(conn, other, counter, "stock:bedding", "d", Causation.new())
        assert await load_state(conn, mine, counter, "stock:bedding") == (4, 4)
        with pytest.raises(ConcurrencyConflict):  # an append on a stale version still conflicts
            await mine.append(conn, "stock:bedding", 3, [opened("e")], Causation.new())
