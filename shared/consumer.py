"""The idempotent consumer: effectively-once handling of Kafka events, on FastStream.

Events come in batches (one poll, ``getmany``): one Postgres transaction records every event id
of the batch in the inbox and does the handler's work for each (a projection update or the
command it triggers), in order; the Kafka offsets are committed after that. A redelivered event
finds its id in the inbox and is skipped. When the batch's transaction fails (a poison message,
a race with a concurrent writer), it is rolled back and the same events are handled again one
per transaction, which retries and, for a message that keeps failing, parks it. A message that
cannot be parsed, or keeps failing, goes to the service's dead-letter topic with the reason in
its headers, and the consumer goes on with the next one.

Why batches: one commit (an fsync) and one offset commit (a broker round trip) per event made
the consumers wait more than work, and fall behind in a burst of arrivals.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import asyncpg
from aiokafka import ConsumerRecord
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.middlewares import AckPolicy
from opentelemetry import trace
from opentelemetry.trace import SpanKind

from shared.consumer_poll import IDLE_POLL_MS, poll_without_sleeping
from shared.dead_letters import DeadLetters
from shared.decider import in_transaction
from shared.inbox import Entry, record_batch, record_one
from shared.incoming import BatchHandler as BatchHandler
from shared.incoming import Handler as Handler
from shared.incoming import IncomingEvent as IncomingEvent
from shared.incoming import Taken as Taken
from shared.incoming import parse_incoming as parse_incoming
from shared.kafka_records import is_utf8, parse_leniently, text_headers, text_key, undecoded
from shared.message_checks import InvalidMessage
from shared.metrics import ServiceMetrics
from shared.telemetry import context_from_carrier
from shared.topics import logical, physical

log = logging.getLogger(__name__)
tracer = trace.get_tracer("shared.consumer")

#: attempts before a message whose handling keeps failing is dead-lettered
HANDLER_ATTEMPTS = 3
#: reloads after a concurrent writer won, before that counts as one failed attempt
CONFLICT_ATTEMPTS = 20
#: events per poll, and so per transaction: large enough that commits stop dominating, small
#: enough that a batch's transaction (and the locks it holds) stays well under a second
BATCH_MAX_EVENTS = 100  # the default of CONSUMER_BATCH_MAX_EVENTS
#: "1" skips the inbox dedupe: a deliberately broken consumer, for the fault suite only
UNSAFE_SKIP_DEDUPE_VARIABLE = "RESETTLE_UNSAFE_SKIP_INBOX_DEDUPE"

#: errors that say the database (not the message) is the problem: redeliver, never dead-letter
TRANSIENT_ERRORS = (
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
)


def _entry(delivery: Delivery) -> Entry:
    record = delivery.record
    return delivery.incoming.event_id, delivery.incoming.topic, record.partition, record.offset


@dataclass(frozen=True)
class Delivery:
    """One message of a batch: the record as read, its headers, and the event it carries."""

    record: ConsumerRecord[Any, Any]
    headers: dict[str, str]
    incoming: IncomingEvent


class IdempotentConsumer:
    """Subscribes one service to topics with an inbox and a dead-letter topic."""

    def __init__(
        self,
        *,
        service: str,
        broker: KafkaBroker,
        pool_provider: Callable[[], asyncpg.Pool],
        handler: Handler,
        topics: tuple[str, ...],
        namespace: str = "",
        metrics: ServiceMetrics | None = None,
        batch_max_events: int = BATCH_MAX_EVENTS,
    ) -> None:
        self.service = service
        self._metrics = metrics
        self._namespace = namespace
        self._dead_letters = DeadLetters(
            service=service, broker=broker, namespace=namespace, metrics=metrics
        )
        self.dead_letter_topic = self._dead_letters.topic
        self._group_id = physical(service, namespace)
        self._broker = broker
        self._pool = pool_provider
        self._handler = handler
        self.skipped_duplicates = 0
        #: batches whose transaction failed and whose events were handled again one by one
        self.batches_split = 0
        # test-only: the fault suite turns the dedupe off to prove it then finds the doubles
        self._dedupe = os.environ.get(UNSAFE_SKIP_DEDUPE_VARIABLE) != "1"
        if not self._dedupe:
            log.warning(
                "%s: %s=1: THE INBOX DEDUPE IS OFF, redelivered events are handled again; "
                "for the fault suite only, never in production",
                service,
                UNSAFE_SKIP_DEDUPE_VARIABLE,
            )
        subscriber = broker.subscriber(
            *(physical(topic, namespace) for topic in topics),
            group_id=self._group_id,
            auto_offset_reset="earliest",
            batch=True,
            max_records=batch_max_events,
            batch_timeout_ms=IDLE_POLL_MS,
            # the offsets are committed only after our transaction; an exception rewinds every
            # partition of the batch to its first record
            ack_policy=AckPolicy.NACK_ON_ERROR,
            max_poll_interval_ms=60_000,
            session_timeout_ms=10_000,
            decoder=undecoded,
            parser=parse_leniently,
            # keys are stream ids (text); decoded, they are also valid span attributes, which
            # raw bytes are not (an exporter drops the whole batch over one bytes attribute)
            key_deserializer=text_key,
        )
        poll_without_sleeping(subscriber)
        subscriber(self._on_batch)
        #: FastStream's subscriber: its ``consumer`` is the aiokafka consumer once started
        self.subscriber = subscriber

    @property
    def dead_lettered(self) -> int:
        """Messages this consumer parked on its dead-letter topic since it started."""
        return self._dead_letters.count

    async def _on_batch(self, message: KafkaMessage) -> None:
        records = message.raw_message
        assert isinstance(records, tuple)  # a batch subscriber
        deliveries: list[Delivery] = []
        invalid: list[tuple[ConsumerRecord[Any, Any], str]] = []
        for record in records:
            try:
                deliveries.append(self._parse(record))
            except InvalidMessage as error:
                invalid.append((record, str(error)))
        if len(deliveries) == 1:
            await self._handle_alone(deliveries[0])
        elif deliveries:
            await self._handle_together(deliveries)
        # parked after the batch's work: a batch rewound because the database was away is
        # parked once, when it comes again
        for record, reason in invalid:
            await self._dead_letters.park(record, reason)

    def _parse(self, record: ConsumerRecord[Any, Any]) -> Delivery:
        undecodable = [name for name, value in record.headers if not is_utf8(value)]
        if undecodable:
            raise InvalidMessage(f"header(s) not UTF-8: {', '.join(undecodable)[:200]}")
        headers = text_headers(record)
        incoming = parse_incoming(
            logical(record.topic, self._namespace), record.value or b"", headers
        )
        return Delivery(record, headers, incoming)

    async def _handle_together(self, deliveries: list[Delivery]) -> None:
        """Every event of the batch in one transaction; on failure, each one on its own."""

        async def handle_all(conn: asyncpg.Connection) -> int:
            firsts = await record_batch(conn, [_entry(delivery) for delivery in deliveries])
            if isinstance(self._handler, BatchHandler):
                return await self._handle_batch(conn, self._handler, deliveries, firsts)
            skipped = 0
            for delivery, first_time in zip(deliveries, firsts, strict=True):
                skipped += not await self._handle_recorded(conn, delivery, first_time)
            return skipped

        try:
            skipped = await in_transaction(self._pool(), handle_all, attempts=1)
        except TRANSIENT_ERRORS:
            # the database is away: wait, then let Kafka redeliver (never a dead letter)
            await asyncio.sleep(1.0)
            raise
        except Exception as error:  # a poison message or a lost race: nothing was committed
            self.batches_split += 1
            log.info(
                "a batch of %d events failed together (%r): handling them one by one",
                len(deliveries),
                error,
            )
            for delivery in deliveries:
                await self._handle_alone(delivery)
            return
        self._processed(deliveries, skipped)

    async def _handle_batch(
        self,
        conn: asyncpg.Connection,
        handler: BatchHandler,
        deliveries: list[Delivery],
        firsts: list[bool],
    ) -> int:
        """The batch's new events to a handler that takes them at once; how many it skipped."""
        new = [
            Taken(delivery.incoming, partial(self._processing_span, delivery))
            for delivery, first_time in zip(deliveries, firsts, strict=True)
            if first_time or not self._dedupe
        ]
        await handler.handle_batch(conn, new)
        return len(deliveries) - len(new)

    async def _handle_alone(self, delivery: Delivery) -> None:
        """One event in its own transaction, reloading on races; retried, then parked."""
        incoming = delivery.incoming
        for attempt in range(1, HANDLER_ATTEMPTS + 1):
            try:
                handled = await in_transaction(
                    self._pool(),
                    lambda conn: self._handle_once(conn, delivery),
                    attempts=CONFLICT_ATTEMPTS,
                )
                self._processed([delivery], skipped=not handled)
                return
            except TRANSIENT_ERRORS:
                await asyncio.sleep(1.0)
                raise
            except Exception as error:  # a bug or a poison message: retry, then park it
                log.warning(
                    "handling %s failed (attempt %d): %r", incoming.event_id, attempt, error
                )
                if attempt == HANDLER_ATTEMPTS:
                    await self._dead_letters.park(delivery.record, f"handler failed: {error!r}")

    async def _handle_once(self, conn: asyncpg.Connection, delivery: Delivery) -> bool:
        """Record the event in the inbox and handle it; False if it was there already."""
        first_time = await record_one(conn, _entry(delivery))
        return await self._handle_recorded(conn, delivery, first_time)

    async def _handle_recorded(
        self, conn: asyncpg.Connection, delivery: Delivery, first_time: bool
    ) -> bool:
        """Handle an event the inbox has just recorded, unless it had it already."""
        with self._processing_span(delivery):
            if not first_time and self._dedupe:
                return False
            await self._handler(conn, delivery.incoming)
            return True

    def _processing_span(self, delivery: Delivery) -> Any:
        """The event's own span, a child of the trace that produced it: a batch holds events of
        many journeys, and each journey stays one trace (what it appends carries this span)."""
        record = delivery.record
        return tracer.start_as_current_span(
            f"{record.topic} process",
            context=context_from_carrier(delivery.headers),
            kind=SpanKind.CONSUMER,
            attributes={
                "messaging.system": "kafka",
                "messaging.operation.type": "process",
                "messaging.destination.name": record.topic,
                "messaging.consumer.group.name": self._group_id,
                "messaging.destination.partition.id": str(record.partition),
                "messaging.kafka.message.offset": record.offset,
                "messaging.message.id": str(delivery.incoming.event_id),
                "messaging.message.body.size": len(record.value or b""),
            },
        )

    def _processed(self, deliveries: list[Delivery], skipped: int) -> None:
        self.skipped_duplicates += skipped
        if self._metrics is not None:
            for delivery in deliveries:
                self._metrics.consumer_processed.labels(topic=delivery.incoming.topic).inc()
