"""The outbox relay: publishes committed events to Kafka, in order, never losing one.

It reads the events table (the outbox) past its checkpoint, below the oldest running transaction
of its database (shared.outbox_horizon): an event committed late under an early position is never
skipped. It sends with the idempotent producer (acks=all), waits for every acknowledgement, then
moves the checkpoint: at-least-once to Kafka; consumers deduplicate on the event id.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from asyncio import FIRST_COMPLETED
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from opentelemetry import trace
from opentelemetry.trace import SpanKind

from shared.event_headers import event_headers
from shared.eventstore import NOTIFY_CHANNEL
from shared.metrics import ServiceMetrics
from shared.outbox_horizon import horizon_passed
from shared.outbox_lead import Lead
from shared.outbox_queries import ADVANCE, FIRST_PAGE, PENDING
from shared.outbox_runs import trace_runs
from shared.record_batches import RecordBatches
from shared.topics import physical

log = logging.getLogger(__name__)
tracer = trace.get_tracer("shared.outbox")

#: failures the relay outlives: it waits and tries again, the checkpoint unmoved
RETRYABLE = (OSError, KafkaError, asyncpg.PostgresError, asyncpg.InterfaceError)


@dataclass
class _SentPage:
    """One page handed to the producer: the checkpoint may pass its last event once the broker
    acknowledged every message of it."""

    acknowledged: asyncio.Future[list[object]]
    last: tuple[str, int]  # (transaction id, global position) of its last event
    per_topic: Counter[str]

    def abandon(self) -> None:
        """Stop caring about its acknowledgements (a failed turn is re-sent from the checkpoint);
        retrieve their error, so that no 'exception never retrieved' is logged for it."""
        self.acknowledged.add_done_callback(lambda done: done.cancelled() or done.exception())


class OutboxRelay:
    """Publishes one service's events. Several instances may run: a Postgres advisory lock,
    held by the publishing relay's reading connection, lets one of them publish at a time, so
    order is kept; the others stand by, and one takes over within its idle poll when the
    publisher's connection ends (its process died, or it stopped)."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        bootstrap_servers: str,
        source: str,
        *,
        namespace: str = "",
        batch_size: int = 500,
        pages_per_turn: int = 20,
        idle_poll_seconds: float = 0.5,
        metrics: ServiceMetrics | None = None,
    ) -> None:
        self._metrics = metrics
        self._pool = pool
        self._bootstrap = bootstrap_servers
        self._source = source
        self._namespace = namespace
        self._batch_size = batch_size
        self._pages_per_turn = pages_per_turn
        self._idle_poll = idle_poll_seconds
        self._wakeup = asyncio.Event()
        self._producer: AIOKafkaProducer | None = None
        self._own: asyncpg.Connection | None = None
        #: the turns' reads, on the connection that holds the relays' lock
        self._lead = Lead(pool)
        self._held_back: str | None = None  # the first event's transaction a turn left behind

    async def run(self) -> None:
        """Publish until cancelled; woken by NOTIFY, with a poll as the safety net."""
        async with self.started():
            while True:
                # cleared before publishing, not after: an append's NOTIFY that arrives while
                # a turn runs (its events past that turn's reads) must not wait for the poll
                self._wakeup.clear()
                try:
                    published = await self.publish_pending()
                except RETRYABLE as error:
                    log.warning("outbox relay will retry after error: %s", error)
                    await asyncio.sleep(1.0)
                    continue
                if self._lead.reader is None:  # another relay publishes: try its lock later
                    await asyncio.sleep(self._idle_poll)
                elif published < self._batch_size * self._pages_per_turn:
                    # not wait_for: on 3.11 it may swallow a cancellation that meets a NOTIFY
                    with contextlib.suppress(TimeoutError, *RETRYABLE):
                        async with asyncio.timeout(self._idle_poll):
                            if self._held_back is None or self._own is None:
                                await self._wakeup.wait()
                            else:  # held back by an older transaction: shared.outbox_horizon
                                await horizon_passed(self._own, self._held_back, self._wakeup)

    @contextlib.asynccontextmanager
    async def started(self) -> AsyncIterator[None]:
        """The producer started, what ``publish_pending`` needs (``run`` publishes inside it);
        on leaving, the producer stopped and the relay's own connection given back."""
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self._bootstrap,
            enable_idempotence=True,  # implies acks=all; no duplicates from producer retries
            acks="all",
            linger_ms=5,
            # one relay batch is hundreds of ~1 KB events for one topic: the default 16 KB batch
            # made a request every 16 events (measured: 86 ms per 500 events)
            max_batch_size=256 * 1024,
            client_id=f"{self._source.strip('/').replace('/', '-')}-relay",
        )
        await self._producer.start()
        try:
            yield
        finally:
            await self._disconnect()
            await self._producer.stop()

    async def _connect(self) -> asyncpg.Connection:
        """The relay's own connection: it hears the appends' NOTIFY and writes the checkpoint.
        Taken again if the last one broke."""
        if self._own is None or self._own.is_closed():
            await self._disconnect()
            self._own = await self._pool.acquire()
            await self._own.add_listener(NOTIFY_CHANNEL, self._on_notify)
        return self._own

    async def _disconnect(self) -> None:
        self._lead.give_up()
        own, self._own = self._own, None
        if own is None:
            return
        with contextlib.suppress(Exception):
            await own.remove_listener(NOTIFY_CHANNEL, self._on_notify)
        await self._pool.release(own)

    def _on_notify(self, *_: object) -> None:
        self._wakeup.set()

    async def publish_pending(self) -> int:
        """Publish committed events past the checkpoint, page after page until a page comes
        back short or a turn's pages are done; return how many.

        A turn reads on the connection that holds the relays' lock, each page a statement of
        its own, outside any transaction (a transaction id would hold back its own horizon):
        none while another relay holds the lock. The checkpoint passes each page on the relay's
        own connection, so that it commits at once."""
        assert self._producer is not None, "publish inside started()"
        own = await self._connect()
        self._held_back = None
        reader = await self._lead.take()
        if reader is None:
            return 0
        try:
            return await self._turn(reader, own)
        except BaseException:
            self._lead.give_up()  # whatever state it was left in; the lock goes with it
            raise

    async def _turn(self, reader: asyncpg.Connection, own: asyncpg.Connection) -> int:
        """Pipelined: while the broker acknowledges one page, the next is read and handed to
        the producer, which sends it behind the first (in order on each partition: one request
        in flight per partition). The checkpoint passes a page once the broker acknowledged it
        and every page before it."""
        read = await reader.fetch(FIRST_PAGE, self._batch_size)
        after = (read[0]["checkpoint_transaction_id"], read[0]["checkpoint_position"])
        published = 0
        unconfirmed: list[_SentPage] = []
        try:
            for page in range(self._pages_per_turn):
                if page:
                    read = await reader.fetch(PENDING, *after, self._batch_size)
                rows = [row for row in read if row["event_id"] is not None]
                if rows:
                    unconfirmed.append(await self._send(rows))
                    after = unconfirmed[-1].last
                # the page before had this page's read and sends to be acknowledged in
                while len(unconfirmed) > 1:
                    published += await self._confirm(own, unconfirmed.pop(0))
                if len(rows) < self._batch_size:
                    if unconfirmed and await self._notified_before(unconfirmed[-1]):
                        continue  # read what was appended meanwhile, in this turn
                    self._held_back = read[0]["held_back"]
                    break
            else:  # the turn's reads are spent: the next turn starts at once
                self._wakeup.set()
            while unconfirmed:
                published += await self._confirm(own, unconfirmed.pop(0))
        finally:
            for sent in unconfirmed:
                sent.abandon()
        return published

    async def _notified_before(self, page: _SentPage) -> bool:
        """Whether an append notified before the broker acknowledged ``page`` (the turn's last
        page sent). An append committed while a page is in flight is read and sent behind it
        in the same turn, rather than after that page's acknowledgement, its checkpoint, the
        commit and a new turn's lock and reads (several round trips each event waited for)."""
        if not self._wakeup.is_set():
            woken = asyncio.ensure_future(self._wakeup.wait())
            either: set[asyncio.Future[Any]] = {woken, page.acknowledged}
            try:
                await asyncio.wait(either, return_when=FIRST_COMPLETED)
            finally:
                woken.cancel()
        if self._wakeup.is_set():
            self._wakeup.clear()  # the next read takes everything committed before it
            return True
        return False

    async def _confirm(self, own: asyncpg.Connection, page: _SentPage) -> int:
        """Wait for the broker's acknowledgement of a page, then move the checkpoint past it."""
        await page.acknowledged
        await own.execute(ADVANCE, *page.last)
        if self._metrics is not None:
            for logical_topic, count in page.per_topic.items():
                self._metrics.relay_published.labels(topic=logical_topic).inc(count)
        return page.per_topic.total()

    async def _send(self, rows: Sequence[asyncpg.Record]) -> _SentPage:
        """Hand one page to the producer; its acknowledgements are awaited by ``_confirm``.

        The page goes as one record batch per partition (``send_batch``), not message by
        message: a future and an accumulator lookup per message cost a quarter of the relay's
        CPU. Each key lands where the producer's default partitioner would put it
        (``partition_of``), and each partition gets its events in the page's order.

        One producer span per run of events of one topic and trace, not one per event: the
        events one request or one consumed event appended (an arrival and its people, a whole
        batch of arrivals) are sent under one span in their own trace. Each message carries its
        event's trace context, so the consumer's span continues the journey's trace."""
        assert self._producer is not None
        batches = RecordBatches(self._producer)
        source = self._source.encode()
        per_topic: Counter[str] = Counter()
        for logical_topic, context, run in trace_runs(rows):
            topic = physical(logical_topic, self._namespace)
            per_topic[logical_topic] += len(run)
            with tracer.start_as_current_span(
                f"send {topic}",
                context=context,
                kind=SpanKind.PRODUCER,
                attributes={
                    "messaging.system": "kafka",
                    "messaging.operation.type": "send",
                    "messaging.operation.name": "send",
                    "messaging.destination.name": topic,
                    "messaging.batch.message_count": len(run),
                },
            ):
                for row, append_headers in run:
                    await batches.add(
                        topic,
                        row["stream_id"].encode(),
                        row["data"].encode(),
                        [*event_headers(row, source), *append_headers],
                    )
        last = (rows[-1]["transaction_id"], rows[-1]["global_position"])
        return _SentPage(await batches.send(), last, per_topic)
