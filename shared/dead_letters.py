"""A consumer's dead-letter topic: where a message that cannot be parsed, or keeps failing, is
parked with the reason and its origin in headers, counted and logged, so that the consumer
goes on with the next one and an operator can read and replay it (``resettle dead-letters``)."""

from __future__ import annotations

import logging
from typing import Any

from aiokafka import ConsumerRecord
from faststream.kafka import KafkaBroker

from shared.kafka_records import text_headers
from shared.metrics import ServiceMetrics
from shared.topics import dead_letter_topic, logical, physical

log = logging.getLogger(__name__)

#: what a dead letter may weigh (body and headers): under the broker's default
#: message.max.bytes (1 MiB + 12 bytes) and the producer's max_request_size (1 MiB), with room
#: for the record's framing; a larger one could never be parked, and would stall its partition
DEAD_LETTER_MAX_BYTES = 1_000_000


class DeadLetters:
    """Parks messages on one service's dead-letter topic."""

    def __init__(
        self,
        *,
        service: str,
        broker: KafkaBroker,
        namespace: str = "",
        metrics: ServiceMetrics | None = None,
    ) -> None:
        self.service = service
        self.topic = physical(dead_letter_topic(service), namespace)
        self._broker = broker
        self._namespace = namespace
        self._metrics = metrics
        #: messages parked since the start
        self.count = 0

    async def park(self, record: ConsumerRecord[Any, Any], reason: str) -> None:
        headers = text_headers(record)
        headers.update(
            {
                "dlq_reason": reason[:2000],
                "dlq_consumer": self.service,
                "dlq_original_topic": record.topic,
                "dlq_original_partition": str(record.partition),
                "dlq_original_offset": str(record.offset),
            }
        )
        body, headers = fit_dead_letter(record.value or b"", headers)
        await self._broker.publish(
            body,
            topic=self.topic,
            key=record.key.encode() if isinstance(record.key, str) else record.key,
            headers=headers,
        )
        self.count += 1
        if self._metrics is not None:
            self._metrics.consumer_dead_lettered.labels(
                topic=logical(record.topic, self._namespace)
            ).inc()
        log.warning(
            "dead-lettered %s[%d]@%d to %s: %s",
            record.topic,
            record.partition,
            record.offset,
            self.topic,
            reason,
        )


def fit_dead_letter(body: bytes, headers: dict[str, str]) -> tuple[bytes, dict[str, str]]:
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
