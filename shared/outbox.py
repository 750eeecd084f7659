"""The outbox relay: publishes committed events to Kafka, in order, never losing one.

It reads the events table (which is the outbox) past its checkpoint, only below the oldest
transaction still running, so an event whose position was drawn early but committed late is not
skipped. It sends with the idempotent producer (acks=all), waits for every acknowledgement, then
moves the checkpoint: at-least-once to Kafka; consumers deduplicate on the event id.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Sequence
from datetime import UTC

import asyncpg
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind

from shared.eventstore import NOTIFY_CHANNEL
from shared.metrics import ServiceMetrics
from shared.schemas.envelope import Envelope
from shared.telemetry import context_from_carrier
from shared.topics import physical

log = logging.getLogger(__name__)
tracer = trace.get_tracer("shared.outbox")

ORIGIN = "0"  # the checkpoint before any transaction
#: failures the relay outlives: it waits and tries again, the checkpoint unmoved
RETRYABLE = (OSError, KafkaError, asyncpg.PostgresError, asyncpg.InterfaceError)

_PENDING = """
SELECT transaction_id::text AS transaction_id, global_position, stream_id, version, event_id,
       event_type, schema_version, topic, data::text AS data, metadata::text AS metadata,
       recorded_at
FROM events
WHERE topic IS NOT NULL
  AND (transaction_id, global_position) > ($1::text::xid8, $2)
  AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
ORDER BY transaction_id, global_position
LIMIT $3
"""


def envelope_of(row: asyncpg.Record, metadata: dict[str, str], source: str) -> Envelope:
    return Envelope.model_validate(
        {
            "ce_specversion": "1.0",
            "ce_id": row["event_id"],
            "ce_type": f"{row['event_type']}.v{row['schema_version']}",
            "ce_source": source,
            "ce_subject": row["stream_id"],
            "ce_time": row["recorded_at"].astimezone(UTC),
            "correlation_id": metadata.get("correlation_id"),
            "causation_id": metadata.get("causation_id"),
        }
    )


class OutboxRelay:
    """Publishes one service's events. Several instances may run: a Postgres advisory lock lets
    one of them publish at a time, so order is kept."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        bootstrap_servers: str,
        source: str,
        *,
        namespace: str = "",
        batch_size: int = 500,
        idle_poll_seconds: float = 0.5,
        metrics: ServiceMetrics | None = None,
    ) -> None:
        self._metrics = metrics
        self._pool = pool
        self._bootstrap = bootstrap_servers
        self._source = source
        self._namespace = namespace
        self._batch_size = batch_size
        self._idle_poll = idle_poll_seconds
        self._wakeup = asyncio.Event()
        self._producer: AIOKafkaProducer | None = None

    async def run(self) -> None:
        """Publish until cancelled; woken by NOTIFY, with a poll as the safety net."""
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self._bootstrap,
            enable_idempotence=True,  # implies acks=all; no duplicates from producer retries
            acks="all",
            linger_ms=5,
            client_id=f"{self._source.strip('/').replace('/', '-')}-relay",
        )
        await self._producer.start()
        listener = await self._pool.acquire()
        await listener.add_listener(NOTIFY_CHANNEL, self._on_notify)
        try:
            while True:
                try:
                    published = await self.publish_pending()
                except RETRYABLE as error:
                    log.warning("outbox relay will retry after error: %s", error)
                    await asyncio.sleep(1.0)
                    continue
                if published < self._batch_size:
                    self._wakeup.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wakeup.wait(), self._idle_poll)
        finally:
            with contextlib.suppress(Exception):
                await listener.remove_listener(NOTIFY_CHANNEL, self._on_notify)
            await self._pool.release(listener)
            await self._producer.stop()

    def _on_notify(self, *_: object) -> None:
        self._wakeup.set()

    async def publish_pending(self) -> int:
        """Publish one batch of committed events past the checkpoint; return how many."""
        assert self._producer is not None, "run() starts the producer"
        async with self._pool.acquire() as conn, conn.transaction():
            # the lock, not a row lock, serialises relays: a row lock would give this
            # transaction an id before its snapshot and hold back its own horizon
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext('outbox-relay'))")
            checkpoint = await conn.fetchrow(
                "SELECT transaction_id::text AS transaction_id, global_position "
                "FROM outbox_checkpoint WHERE relay = 'main'"
            )
            after_txn, after_pos = (
                (checkpoint["transaction_id"], checkpoint["global_position"])
                if checkpoint
                else (ORIGIN, 0)
            )
            rows = await conn.fetch(_PENDING, after_txn, after_pos, self._batch_size)
            if not rows:
                return 0
            await self._send(rows)
            last = rows[-1]
            await conn.execute(
                """
                INSERT INTO outbox_checkpoint (relay, transaction_id, global_position)
                VALUES ('main', $1::text::xid8, $2)
                ON CONFLICT (relay) DO UPDATE
                SET transaction_id = EXCLUDED.transaction_id,
                    global_position = EXCLUDED.global_position, updated_at = now()
                """,
                last["transaction_id"],
                last["global_position"],
            )
            return len(rows)

    async def _send(self, rows: Sequence[asyncpg.Record]) -> None:
        assert self._producer is not None
        deliveries = []
        for row in rows:
            metadata = json.loads(row["metadata"])
            topic = physical(row["topic"], self._namespace)
            parent = context_from_carrier(metadata)
            with tracer.start_as_current_span(
                f"send {topic}",
                context=parent,
                kind=SpanKind.PRODUCER,
                attributes={
                    "messaging.system": "kafka",
                    "messaging.operation.type": "send",
                    "messaging.operation.name": "send",
                    "messaging.destination.name": topic,
                    "messaging.message.id": str(row["event_id"]),
                    "messaging.kafka.message.key": row["stream_id"],
                },
            ):
                headers = envelope_of(row, metadata, self._source).headers()
                headers.append(("content-type", b"application/json"))
                carrier: dict[str, str] = {}
                propagate.inject(carrier)  # the publish span becomes the consumers' parent
                headers.extend((key, value.encode()) for key, value in carrier.items())
                deliveries.append(
                    await self._producer.send(
                        topic,
                        value=row["data"].encode(),
                        key=row["stream_id"].encode(),
                        headers=headers,
                    )
                )
        # every event acknowledged by the broker before the checkpoint moves
        await asyncio.gather(*deliveries)
        if self._metrics is not None:
            for row in rows:
                self._metrics.relay_published.labels(topic=row["topic"]).inc()
