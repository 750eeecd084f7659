"""Kafka records as the consumer receives them, read without trusting them: the body left as
bytes and the headers decoded leniently, so that a bad message becomes a dead letter naming
its fault rather than an exception inside FastStream or a batch skipped in silence."""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka import ConsumerRecord
from faststream.message import StreamMessage

Records = tuple[ConsumerRecord[Any, Any], ...]


async def undecoded(message: StreamMessage[Any]) -> bytes:
    """Leave the body as bytes: we parse it ourselves, so that bad JSON becomes a dead letter
    instead of an exception inside the framework."""
    return message.body


def is_utf8(value: bytes | None) -> bool:
    if value is None:
        return False
    try:
        value.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


async def parse_leniently(
    records: Records,
    parse: Callable[[Records], Awaitable[StreamMessage[Any]]],
) -> StreamMessage[Any]:
    """FastStream decodes every header as UTF-8 before our handler runs; on one that is not
    (or a null one) it neither acknowledges nor rewinds, and the next commit skips the batch
    silently. Hand it headers that decode (U+FFFD for bad bytes); the handler, which reads each
    record's own bytes, dead-letters the message naming the header."""
    if all(is_utf8(value) for record in records for _, value in record.headers):
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


def text_headers(record: ConsumerRecord[Any, Any]) -> dict[str, str]:
    return {name: (value or b"").decode("utf-8", "replace") for name, value in record.headers}


def text_key(key: bytes | None) -> str | None:
    return None if key is None else key.decode("utf-8", "replace")
