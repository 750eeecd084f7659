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
import copy
import functools
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, get_args
from uuid import UUID

import asyncpg
from aiokafka import ConsumerRecord
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.message import StreamMessage
from faststream.middlewares import AckPolicy
from opentelemetry import trace
from opentelemetry.trace import SpanKind
from pydantic import ValidationError

from shared.decider import in_transaction
from shared.eventstore import Causation
from shared.metrics import ServiceMetrics
from shared.schemas.base import DomainEvent
from shared.schemas.envelope import Envelope
from shared.schemas.registry import TOPIC_ADAPTERS, TOPIC_TYPES
from shared.telemetry import context_from_carrier
from shared.topics import dead_letter_topic, logical, physical

log = logging.getLogger(__name__)
tracer = trace.get_tracer("shared.consumer")

REQUIRED_HEADERS = ("ce_id", "ce_type", "ce_source", "ce_specversion")
MAX_MESSAGE_BYTES = 1024 * 1024
#: what a dead letter may weigh (body and headers): under the broker's default
#: message.max.bytes (1 MiB + 12 bytes) and the producer's max_request_size (1 MiB), with room
#: for the record's framing; a larger one could never be parked, and would stall its partition
DEAD_LETTER_MAX_BYTES = 1_000_000
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


class InvalidMessage(Exception):
    """A message that no retry can make valid."""


@dataclass(frozen=True)
class IncomingEvent:
    """A parsed event from a topic, with the envelope attributes its handler may need."""

    event_id: UUID
    topic: str
    event: DomainEvent
    correlation_id: str

    def causation(self) -> Causation:
        """Events appended because of this one carry its id as their cause."""
        return Causation(correlation_id=self.correlation_id, causation_id=str(self.event_id))


Handler = Callable[[asyncpg.Connection, IncomingEvent], Awaitable[None]]


def parse_incoming(topic: str, body: bytes, headers: dict[str, Any]) -> IncomingEvent:
    """Check the envelope and the schema of one message; raise InvalidMessage with the reason."""
    if len(body) > MAX_MESSAGE_BYTES:
        raise InvalidMessage(f"message of {len(body)} bytes exceeds {MAX_MESSAGE_BYTES}")
    missing = [name for name in REQUIRED_HEADERS if not headers.get(name)]
    if missing:
        raise InvalidMessage(f"missing CloudEvents header(s): {', '.join(missing)}")
    try:
        envelope = Envelope.from_headers(
            {name: value for name, value in headers.items() if isinstance(value, str)}
        )
    except ValidationError as error:
        raise InvalidMessage(f"bad envelope: {_reasons(error)}") from error
    adapter = TOPIC_ADAPTERS.get(topic)
    if adapter is None:
        raise InvalidMessage(f"no schema is known for topic {topic!r}")
    # a version we do not read is refused on its header, before its body could be misread as
    # ours; compared as text, since the header's digits are unbounded (int() refuses > 4300)
    name, _, version = envelope.type.rpartition(".v")
    known = _schema_versions(topic)
    if name in known and version != str(known[name]):
        raise InvalidMessage(
            f"unsupported schema version: ce_type {envelope.type[:100]!r}, this consumer "
            f"reads {name} at schema_version {known[name]}"
        )
    try:
        event: DomainEvent = adapter.validate_json(body)
    except ValidationError as error:
        problem = (
            f"unknown event type on {topic}"
            if name not in known
            else f"does not match the schema of {topic}"
        )
        raise InvalidMessage(f"{problem}: {_reasons(error)}") from error
    expected_type = f"{event.event_type}.v{event.version_of_schema}"
    if envelope.type != expected_type:
        raise InvalidMessage(f"header ce_type {envelope.type!r} != body {expected_type!r}")
    return IncomingEvent(
        event_id=envelope.id,
        topic=topic,
        event=event,
        correlation_id=envelope.correlation_id or str(envelope.id),
    )


@functools.cache
def _schema_versions(topic: str) -> dict[str, int]:
    """The event types a topic carries, each with the schema version this code reads."""
    union = get_args(TOPIC_TYPES[topic])[0]  # Annotated[A | B | ..., discriminator]
    return {
        model.__name__: int(model.model_fields["schema_version"].default)
        for model in get_args(union)
    }


def _reasons(error: ValidationError) -> str:
    """Where and what, never the offending value (it could be personal data)."""
    return "; ".join(
        f"{'/'.join(str(part) for part in issue['loc']) or '(body)'}: {issue['msg']}"
        for issue in error.errors(include_url=False)[:10]
    )


async def _undecoded(message: StreamMessage[Any]) -> bytes:
    """Leave the body as bytes: we parse it ourselves, so that bad JSON becomes a dead letter
    instead of an exception inside the framework."""
    return message.body


def _is_utf8(value: bytes | None) -> bool:
    if value is None:
        return False
    try:
        value.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


Records = tuple[ConsumerRecord[Any, Any], ...]


async def _parse_leniently(
    records: Records,
    parse: Callable[[Records], Awaitable[StreamMessage[Any]]],
) -> StreamMessage[Any]:
    """FastStream decodes every header as UTF-8 before our handler runs; on one that is not
    (or a null one) it neither acknowledges nor rewinds, and the next commit skips the batch
    silently. Hand it headers that decode (U+FFFD for bad bytes); the handler, which reads each
    record's own bytes, dead-letters the message naming the header."""
    if all(_is_utf8(value) for record in records for _, value in record.headers):
        return await parse(records)
    readable = []
    for record in records:
        copied = copy.copy(record)
        copied.headers = [
            (name, (value or b"").decode("utf-8", "replace").encode())
            for name, value in record.headers
        ]
        readable.append(copied)
    message = await parse(tuple(readable))
    message.raw_message = records
    return message


def _text_headers(record: ConsumerRecord[Any, Any]) -> dict[str, str]:
    return {name: (value or b"").decode("utf-8", "replace") for name, value in record.headers}


def _fit_dead_letter(body: bytes, headers: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    """Leave out the largest parts (the body or an original header) until the dead letter fits
    its topic, saying what was left out; the original stays at its offset while retained."""
    omitted = []

    def weight() -> int:
        return len(body) + sum(len(name) + len(value.encode()) for name, value in headers.items())

    while weight() > DEAD_LETTER_MAX_BYTES:
        originals = {n: len(v.encode()) for n, v in headers.items() if not n.startswith("dlq_")}
        largest = max(originals, key=originals.__getitem__, default=None)
        if body and (largest is None or len(body) >= originals[largest]):
            omitted.append(f"body ({len(body)} bytes)")
            body = b""
        elif largest is not None:
            omitted.append(f"header {largest[:100]} ({originals[largest]} bytes)")
            del headers[largest]
        else:
            break  # only our own headers are left, and they are bounded
    if omitted:
        headers["dlq_omitted"] = "; ".join(omitted) + ": read it at the original offset"
    return body, headers


def _text_key(key: bytes | None) -> str | None:
    return None if key is None else key.decode("utf-8", "replace")


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
        self.dead_letter_topic = physical(dead_letter_topic(service), namespace)
        self._group_id = physical(service, namespace)
        self._broker = broker
        self._pool = pool_provider
        self._handler = handler
        self.dead_lettered = 0
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
        broker.subscriber(
            *(physical(topic, namespace) for topic in topics),
            group_id=self._group_id,
            auto_offset_reset="earliest",
            batch=True,
            max_records=batch_max_events,
            # FastStream sleeps this long again after an empty poll: kept short, since an
            # event arriving then waits for it (accept -> visible latency)
            batch_timeout_ms=10,
            # the offsets are committed only after our transaction; an exception rewinds every
            # partition of the batch to its first record
            ack_policy=AckPolicy.NACK_ON_ERROR,
            max_poll_interval_ms=60_000,
            session_timeout_ms=10_000,
            decoder=_undecoded,
            parser=_parse_leniently,
            # keys are stream ids (text); decoded, they are also valid span attributes, which
            # raw bytes are not (an exporter drops the whole batch over one bytes attribute)
            key_deserializer=_text_key,
        )(self._on_batch)

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
            await self._dead_letter(record, reason)

    def _parse(self, record: ConsumerRecord[Any, Any]) -> Delivery:
        undecodable = [name for name, value in record.headers if not _is_utf8(value)]
        if undecodable:
            raise InvalidMessage(f"header(s) not UTF-8: {', '.join(undecodable)[:200]}")
        headers = _text_headers(record)
        incoming = parse_incoming(
            logical(record.topic, self._namespace), record.value or b"", headers
        )
        return Delivery(record, headers, incoming)

    async def _handle_together(self, deliveries: list[Delivery]) -> None:
        """Every event of the batch in one transaction; on failure, each one on its own."""

        async def handle_all(conn: asyncpg.Connection) -> int:
            skipped = 0
            for delivery in deliveries:
                skipped += not await self._handle_once(conn, delivery)
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
                    await self._dead_letter(delivery.record, f"handler failed: {error!r}")

    async def _handle_once(self, conn: asyncpg.Connection, delivery: Delivery) -> bool:
        """Record the event in the inbox and handle it; False if it was there already."""
        incoming, record = delivery.incoming, delivery.record
        with self._processing_span(delivery):
            first_time = await conn.fetchval(
                """
                INSERT INTO inbox (event_id, topic, kafka_partition, kafka_offset)
                VALUES ($1, $2, $3, $4) ON CONFLICT (event_id) DO NOTHING RETURNING true
                """,
                incoming.event_id,
                incoming.topic,
                record.partition,
                record.offset,
            )
            if not first_time and self._dedupe:
                return False
            await self._handler(conn, incoming)
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

    async def _dead_letter(self, record: ConsumerRecord[Any, Any], reason: str) -> None:
        headers = _text_headers(record)
        headers.update(
            {
                "dlq_reason": reason[:2000],
                "dlq_consumer": self.service,
                "dlq_original_topic": record.topic,
                "dlq_original_partition": str(record.partition),
                "dlq_original_offset": str(record.offset),
            }
        )
        body, headers = _fit_dead_letter(record.value or b"", headers)
        await self._broker.publish(
            body,
            topic=self.dead_letter_topic,
            key=record.key.encode() if isinstance(record.key, str) else record.key,
            headers=headers,
        )
        self.dead_lettered += 1
        if self._metrics is not None:
            self._metrics.consumer_dead_lettered.labels(
                topic=logical(record.topic, self._namespace)
            ).inc()
        log.warning(
            "dead-lettered %s[%d]@%d to %s: %s",
            record.topic,
            record.partition,
            record.offset,
            self.dead_letter_topic,
            reason,
        )
