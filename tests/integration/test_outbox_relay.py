"""The outbox relay's order and acknowledgement guarantees, against a real database and broker.

Events are stored by hand, with the transaction ids and trace contexts a case needs. The ids
are small: below the oldest transaction running anywhere in the cluster (which another test's
open transaction may hold back), so the relay takes them at once.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any
from uuid import uuid4

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaTimeoutError
from aiokafka.producer.message_accumulator import BatchBuilder
from cloudevents.core.bindings import kafka

from shared.database import PooledConnection
from shared.eventstore import NOTIFY_CHANNEL
from shared.eventstore_tables import SCHEMA_DDL
from shared.outbox import OutboxRelay
from tests.conftest import eventually
from tests.integration.helpers import read_topic
from tests.stack import Stack

pytestmark = pytest.mark.integration

TOPIC = "housing.events.v2"


def traceparent(trace: str) -> str:
    return f"00-{trace * 32}-{'1' * 16}-01"


@pytest.fixture
async def pool(databases: dict[str, str]) -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(databases["housing"], min_size=2, max_size=4)
    await pool.execute(SCHEMA_DDL)
    yield pool
    await pool.close()


async def store(
    pool: asyncpg.Pool,
    stream_id: str,
    version: int,
    *,
    transaction_id: int,
    trace: str | None = None,
) -> None:
    metadata = {"correlation_id": str(uuid4())}
    if trace is not None:
        metadata["traceparent"] = traceparent(trace)
    await pool.execute(
        """
        INSERT INTO events (transaction_id, stream_id, version, event_id, event_type,
                            schema_version, topic, data, metadata)
        VALUES ($1::text::xid8, $2, $3, $4, 'ShelterOpened', 2, $5, $6::jsonb, $7::jsonb)
        """,
        str(transaction_id),
        stream_id,
        version,
        uuid4(),
        TOPIC,
        json.dumps({"stream": stream_id, "version": version}),
        json.dumps(metadata),
    )


async def published(stack: Stack, namespace: str) -> list[tuple[str, int]]:
    """(stream, version) of every message on the topic, partition by partition in offset
    order."""
    records = await read_topic(stack.kafka_bootstrap_servers, f"{namespace}.{TOPIC}")
    records.sort(key=lambda record: (record.partition, record.offset))
    return [(value["stream"], value["version"]) for value in map(_value, records)]


def _value(record: Any) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(record.value)
    return value


async def stored_positions(pool: asyncpg.Pool) -> list[int]:
    return [row[0] for row in await pool.fetch("SELECT global_position FROM events ORDER BY 1")]


async def checkpoint(pool: asyncpg.Pool) -> int | None:
    position: int | None = await pool.fetchval(
        "SELECT global_position FROM outbox_checkpoint WHERE relay = 'main'"
    )
    return position


async def test_the_relay_follows_transaction_ids_in_number_order_not_text_order(
    pool: asyncpg.Pool, stack: Stack, namespace: str
) -> None:
    """'1000' sorts before '999' as text: a page of one, ordered so, would have moved the
    checkpoint past transaction 999 before sending its event."""
    await store(pool, "shelter", 2, transaction_id=1000)  # the lower position
    await store(pool, "shelter", 1, transaction_id=999)
    relay = OutboxRelay(
        pool, stack.kafka_bootstrap_servers, "/tests", namespace=namespace, batch_size=1
    )

    async with relay.started():
        sent = await relay.publish_pending()

    assert sent == 2
    assert await published(stack, namespace) == [("shelter", 1), ("shelter", 2)]


async def test_a_streams_events_keep_their_order_when_traces_interleave_in_a_page(
    pool: asyncpg.Pool, stack: Stack, namespace: str
) -> None:
    """Three transactions, the first and last in one trace: sending the page trace by trace
    would send the stream's second event before its first."""
    await store(pool, "other", 1, transaction_id=1001, trace="b")
    await store(pool, "shelter", 1, transaction_id=1002, trace="a")
    await store(pool, "shelter", 2, transaction_id=1003, trace="b")
    relay = OutboxRelay(pool, stack.kafka_bootstrap_servers, "/tests", namespace=namespace)

    async with relay.started():
        await relay.publish_pending()

    shelter = [event for event in await published(stack, namespace) if event[0] == "shelter"]
    assert shelter == [("shelter", 1), ("shelter", 2)]


async def test_a_page_the_broker_did_not_acknowledge_stays_unpublished_and_is_sent_again(
    pool: asyncpg.Pool, stack: Stack, namespace: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages of two events of one stream (one partition: one batch a page); the second page's
    acknowledgement fails while the third is already sent behind it."""
    for version in range(1, 7):
        await store(pool, "shelter", version, transaction_id=2000)
    positions = await stored_positions(pool)
    relay = OutboxRelay(
        pool, stack.kafka_bootstrap_servers, "/tests", namespace=namespace, batch_size=2
    )
    send_batch = AIOKafkaProducer.send_batch
    batches = 0

    async def second_batch_unacknowledged(
        producer: AIOKafkaProducer, batch: BatchBuilder, topic: str, *, partition: int
    ) -> asyncio.Future[object]:
        nonlocal batches
        batches += 1
        if batches != 2:
            delivery: asyncio.Future[object] = await send_batch(
                producer, batch, topic, partition=partition
            )
            return delivery
        lost: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        lost.set_exception(KafkaTimeoutError())
        return lost

    async with relay.started():
        with monkeypatch.context() as patch:
            patch.setattr(AIOKafkaProducer, "send_batch", second_batch_unacknowledged)
            with pytest.raises(KafkaTimeoutError):
                await relay.publish_pending()
            assert batches == 3  # the third page went out before the second failed
            assert await checkpoint(pool) == positions[1]  # past the first page only
        again = await relay.publish_pending()

    assert again == 4
    assert await checkpoint(pool) == positions[-1]
    versions = [version for _, version in await published(stack, namespace)]
    assert set(versions) == {1, 2, 3, 4, 5, 6}  # at least once
    assert versions[-4:] == [3, 4, 5, 6]  # what followed the lost page, sent again behind it


async def test_an_append_notified_while_a_turn_runs_is_published_without_waiting_for_the_poll(
    pool: asyncpg.Pool, stack: Stack, namespace: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second append commits (and notifies) while the relay still sends the first: the
    relay must take it at once, not after its idle poll (a minute here)."""
    await store(pool, "first", 1, transaction_id=3001)
    relay = OutboxRelay(
        pool, stack.kafka_bootstrap_servers, "/tests", namespace=namespace, idle_poll_seconds=60
    )
    sending, go_on = asyncio.Event(), asyncio.Event()
    send_batch = AIOKafkaProducer.send_batch

    async def held_until_the_second_append(
        producer: AIOKafkaProducer, batch: BatchBuilder, topic: str, *, partition: int
    ) -> asyncio.Future[object]:
        sending.set()
        await go_on.wait()
        delivery: asyncio.Future[object] = await send_batch(
            producer, batch, topic, partition=partition
        )
        return delivery

    monkeypatch.setattr(AIOKafkaProducer, "send_batch", held_until_the_second_append)
    relaying = asyncio.create_task(relay.run())
    try:
        await asyncio.wait_for(sending.wait(), 30)
        await store(pool, "second", 1, transaction_id=3002)
        await pool.execute("SELECT pg_notify($1, '')", NOTIFY_CHANNEL)
        go_on.set()

        async def both_published() -> bool:
            return len(await published(stack, namespace)) == 2

        await eventually(both_published, timeout=20, what="the second append on the topic")
    finally:
        relaying.cancel()
        await asyncio.gather(relaying, return_exceptions=True)


async def test_a_published_event_reads_back_through_the_cloudevents_sdk_with_its_journey(
    pool: asyncpg.Pool, stack: Stack, namespace: str
) -> None:
    await store(pool, "shelter", 1, transaction_id=1, trace="ab" * 16)
    relay = OutboxRelay(pool, stack.kafka_bootstrap_servers, "/tests", namespace=namespace)
    async with relay.started():
        await relay.publish_pending()
    [record] = await read_topic(stack.kafka_bootstrap_servers, f"{namespace}.{TOPIC}")
    correlation = json.loads(await pool.fetchval("SELECT metadata::text FROM events"))

    event = kafka.from_binary_event(
        kafka.KafkaMessage(headers=dict(record.headers), key=record.key, value=record.value)
    )

    assert event.get_attributes()["correlationid"] == correlation["correlation_id"]
    assert event.get_attributes()["type"] == "ShelterOpened.v2"
    assert event.get_data() == {"stream": "shelter", "version": 1}


async def test_the_relay_stops_when_cancelled_while_appends_keep_notifying_it(
    stack: Stack, namespace: str, pool: asyncpg.Pool, databases: dict[str, str]
) -> None:
    """A service's stop cancels its relay and waits for it. A NOTIFY that wakes the relay in
    the same turn as the cancellation must not swallow it (asyncio.wait_for on Python 3.11
    does), else the stop waits for ever: a teardown timed out in CI that way."""
    notifier = await asyncpg.connect(databases["housing"])

    async def keep_notifying() -> None:
        while True:
            await notifier.execute(f"NOTIFY {NOTIFY_CHANNEL}")

    flood = asyncio.create_task(keep_notifying())
    try:
        for attempt in range(60):
            relay = OutboxRelay(
                pool, stack.kafka_bootstrap_servers, "/services/housing",
                namespace=namespace, idle_poll_seconds=0.05,
            )  # fmt: skip
            running = asyncio.create_task(relay.run())
            await asyncio.sleep(0.3 + (attempt % 7) * 0.013)
            running.cancel()
            done, _ = await asyncio.wait({running}, timeout=10)
            assert done, f"attempt {attempt}: the relay went on after its cancellation"
    finally:
        flood.cancel()
        await asyncio.gather(flood, return_exceptions=True)
        await notifier.close()


async def append_and_notify(pool: asyncpg.Pool, stream_id: str) -> None:
    """An append as the event store makes it: its own transaction id, a NOTIFY at commit."""
    async with pool.acquire() as conn, conn.transaction():
        await insert_event(conn, stream_id)
        await conn.execute("SELECT pg_notify($1, '')", NOTIFY_CHANNEL)


async def insert_event(conn: asyncpg.Connection, stream_id: str) -> None:
    await conn.execute(
        "INSERT INTO events (stream_id, version, event_id, event_type, schema_version, topic,"
        " data, metadata) VALUES ($1, 1, $2, 'ShelterOpened', 2, $3,"
        " jsonb_build_object('stream', $1::text, 'version', 1), '{}')",
        stream_id,
        uuid4(),
        TOPIC,
    )


async def on_topic_within(
    stack: Stack, namespace: str, expected: list[Any], seconds: float
) -> None:
    async def there() -> bool:  # partition by partition: the streams' order between them varies
        return sorted(await published(stack, namespace)) == sorted(expected)

    await eventually(there, timeout=seconds, what=f"{expected} on the topic")


async def test_a_transaction_open_in_another_database_does_not_hold_the_relay_back(
    pool: asyncpg.Pool, stack: Stack, namespace: str, databases: dict[str, str]
) -> None:
    """Transaction ids are the server's: the oldest one running may be another database's
    (another service's, a test's), and it must not keep this database's events unsent."""
    other = await asyncpg.connect(databases["aid"])
    relay = OutboxRelay(pool, stack.kafka_bootstrap_servers, "/tests", namespace=namespace)
    relaying = asyncio.create_task(relay.run())
    try:
        await other.execute("BEGIN")
        await other.fetchval("SELECT pg_current_xact_id()")  # an id, older than the append's
        await append_and_notify(pool, "here")
        await on_topic_within(stack, namespace, [("here", 1)], 15)
        assert await other.fetchval("SELECT pg_current_xact_id_if_assigned() IS NOT NULL")
    finally:
        relaying.cancel()
        await asyncio.gather(relaying, return_exceptions=True)
        await other.close()


async def test_an_event_held_back_by_an_older_silent_transaction_goes_out_when_it_ends(
    pool: asyncpg.Pool, stack: Stack, namespace: str
) -> None:
    """The older transaction drew its position first and commits last, without a NOTIFY (a
    write with no event for a topic would do the same). The later append must wait for it, and
    both go out when it ends, in position order, not at the idle poll (a minute here)."""
    relay = OutboxRelay(
        pool, stack.kafka_bootstrap_servers, "/tests", namespace=namespace, idle_poll_seconds=60
    )
    relaying = asyncio.create_task(relay.run())
    try:
        async with pool.acquire() as older:
            async with older.transaction():
                await insert_event(older, "early")
                await append_and_notify(pool, "late")
                await asyncio.sleep(1.0)
                assert await published(stack, namespace) == []  # "early" would be skipped
            await on_topic_within(stack, namespace, [("early", 1), ("late", 1)], 15)
    finally:
        relaying.cancel()
        await asyncio.gather(relaying, return_exceptions=True)


async def test_an_append_committed_while_a_page_is_in_flight_goes_out_in_the_same_turn(
    pool: asyncpg.Pool, stack: Stack, namespace: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the broker acknowledges the first page, a second append commits and notifies:
    the relay reads and sends it behind that page in the same turn, not after the checkpoint,
    the commit and a new turn (what ``publish_pending`` returns counts one turn's events)."""
    await store(pool, "first", 1, transaction_id=3001)  # ids below any transaction running
    relay = OutboxRelay(
        pool, stack.kafka_bootstrap_servers, "/tests", namespace=namespace, idle_poll_seconds=60
    )
    send_batch = AIOKafkaProducer.send_batch
    appended_meanwhile = False

    async def append_while_the_first_page_is_sent(
        producer: AIOKafkaProducer, batch: BatchBuilder, topic: str, *, partition: int
    ) -> asyncio.Future[object]:
        nonlocal appended_meanwhile
        delivery: asyncio.Future[object] = await send_batch(
            producer, batch, topic, partition=partition
        )
        if not appended_meanwhile:
            appended_meanwhile = True
            await store(pool, "second", 1, transaction_id=3002)
            await pool.execute("SELECT pg_notify($1, '')", NOTIFY_CHANNEL)

            async def heard() -> bool:
                return relay._wakeup.is_set()

            await eventually(heard, timeout=10, what="the relay hearing the second append")
        return delivery

    monkeypatch.setattr(AIOKafkaProducer, "send_batch", append_while_the_first_page_is_sent)
    async with relay.started():
        in_one_turn = await relay.publish_pending()

    assert in_one_turn == 2
    assert sorted(await published(stack, namespace)) == [("first", 1), ("second", 1)]


async def test_the_first_event_held_back_is_the_first_in_transaction_order(
    pool: asyncpg.Pool, stack: Stack, namespace: str
) -> None:
    """The relay waits for the horizon to pass the first held-back transaction, which comes
    with the page: ordered as text, '1000000000000' came before '999999999999' and the relay
    waited for the later one. Both ids are far past any transaction begun, so both are held."""
    await store(pool, "later", 1, transaction_id=10**12)
    await store(pool, "earlier", 1, transaction_id=10**12 - 1)
    await store(pool, "now", 1, transaction_id=1)  # below the horizon: published
    relay = OutboxRelay(pool, stack.kafka_bootstrap_servers, "/tests", namespace=namespace)
    async with relay.started():
        assert await relay.publish_pending() == 1
        assert relay._held_back == "999999999999"
        assert await relay.publish_pending() == 0  # the next page, past the checkpoint
        assert relay._held_back == "999999999999"


async def test_one_relay_publishes_while_another_stands_by_and_takes_over_when_it_stops(
    databases: dict[str, str], stack: Stack, namespace: str
) -> None:
    """Two relays of one database, each with its own pool as in two processes: the first to
    take the lock publishes, the other publishes nothing while it holds it, and takes over when
    it stops. The lock must leave with the first relay's connection: given back to its pool
    with the lock on it, no relay would ever publish again."""
    pools = [
        await asyncpg.create_pool(databases["housing"], min_size=1, max_size=4,
                                  connection_class=PooledConnection)
        for _ in range(2)
    ]  # fmt: skip
    await pools[0].execute(SCHEMA_DDL)
    first, second = (
        OutboxRelay(pool, stack.kafka_bootstrap_servers, "/tests", namespace=namespace)
        for pool in pools
    )
    try:
        async with second.started():
            async with first.started():
                await store(pools[0], "shelter", 1, transaction_id=1)
                assert await first.publish_pending() == 1
                assert first._lead.reader is not None  # a vanished publisher is found out
                assert await first._lead.reader.fetchval("SHOW tcp_keepalives_idle") == "10"
                await store(pools[0], "shelter", 2, transaction_id=2)
                assert await second.publish_pending() == 0  # standing by
                assert await first.publish_pending() == 1
            await store(pools[0], "shelter", 3, transaction_id=3)
            assert await second.publish_pending() == 1
            # the first relay's pool, its reading connection closed, still serves
            assert await pools[0].fetchval("SELECT count(*) FROM events") == 3
    finally:
        for pool in pools:
            await pool.close()
    assert await published(stack, namespace) == [("shelter", 1), ("shelter", 2), ("shelter", 3)]
