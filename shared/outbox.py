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
from opentelemetry import trace
from opentelemetry.trace import SpanKind

from shared.eventstore import NOTIFY_CHANNEL
from shared.metrics import ServiceMetrics
from shared.schemas.envelope import Envelope
from shared.telemetry import context_from_carrier
from shared.topics import physical

log = logging.getLogger(__name__)
tracer = trace.get_tracer("shared.outbox")

ORIGIN = "0"  # the checkpoint before any transaction
TRACE_HEADERS = ("traceparent", "tracestate")
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
    """The envelope of one stored event (validated: for tests and tools; the relay's hot path
    uses headers_of, which must give the same headers)."""
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


def headers_of(
    row: asyncpg.Record, metadata: dict[str, str], source: str
) -> list[tuple[str, bytes]]:
    """The Kafka headers of one stored event: the envelope, then the trace context it was
    appended in. Built by hand: validating an envelope per event cost as much as sending it,
    and every value here comes from our own events table."""
    headers = [
        ("ce_specversion", b"1.0"),
        ("ce_id", str(row["event_id"]).encode()),
        ("ce_type", f"{row['event_type']}.v{row['schema_version']}".encode()),
        ("ce_source", source.encode()),
        ("ce_subject", row["stream_id"].encode()),
        ("ce_time", row["recorded_at"].astimezone(UTC).isoformat().replace("+00:00", "Z").encode()),
    ]
    headers.extend(
        (name, str(metadata[name]).encode())
        for name in ("correlation_id", "causation_id")
        if metadata.get(name)
    )
    headers.append(("content-type", b"application/json"))
    # the trace context of the transaction that appended the event: the consumer's span
    # continues that trace, so a journey stays one trace across services
    headers.extend((name, metadata[name].encode()) for name in TRACE_HEADERS if metadata.get(name))
    return headers


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
            # one relay batch is hundreds of ~1 KB events for one topic: the default 16 KB batch
            # made a request every 16 events (measured: 86 ms per 500 events)
            max_batch_size=256 * 1024,
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
        """Send one batch and wait for every acknowledgement.

        One producer span per topic and trace in the batch, not one per event: the events one
        request or one consumed event appended (an arrival and its people, a whole batch of
        arrivals) are sent under one span in their own trace. Each message carries its event's
        trace context, so the consumer's span continues the journey's trace."""
        assert self._producer is not None
        deliveries = []
        groups: dict[tuple[str, int], list[tuple[asyncpg.Record, dict[str, str]]]] = {}
        for row in rows:
            metadata = json.loads(row["metadata"])
            parent = trace.get_current_span(context_from_carrier(metadata)).get_span_context()
            groups.setdefault((row["topic"], parent.trace_id), []).append((row, metadata))
        for (logical_topic, _), batch in groups.items():
            topic = physical(logical_topic, self._namespace)
            with tracer.start_as_current_span(
                f"send {topic}",
                context=context_from_carrier(batch[0][1]),
                kind=SpanKind.PRODUCER,
                attributes={
                    "messaging.system": "kafka",
                    "messaging.operation.type": "send",
                    "messaging.operation.name": "send",
                    "messaging.destination.name": topic,
                    "messaging.batch.message_count": len(batch),
                },
            ):
                for row, metadata in batch:
                    deliveries.append(
                        await self._producer.send(
                            topic,
                            value=row["data"].encode(),
                            key=row["stream_id"].encode(),
                            headers=headers_of(row, metadata, self._source),
                        )
                    )
        # every event acknowledged by the broker before the checkpoint moves
        await asyncio.gather(*deliveries)
        if self._metrics is not None:
            for (logical_topic, _), batch in groups.items():
                self._metrics.relay_published.labels(topic=logical_topic).inc(len(batch))
