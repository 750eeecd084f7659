"""What a message on a topic must be before a consumer handles it: not too large, with its
CloudEvents headers, at a schema version this code reads, matching its topic's schema, its
header's type the same as its body's. A message that fails is refused with the reason (where
and what, never the offending value) and dead-lettered by the consumer (shared.consumer)."""

from __future__ import annotations

import functools
from typing import Any, get_args

from pydantic import ValidationError

from shared.schemas.base import DomainEvent
from shared.schemas.envelope import Envelope
from shared.schemas.registry import TOPIC_ADAPTERS, TOPIC_TYPES

REQUIRED_HEADERS = ("ce_id", "ce_type", "ce_source", "ce_specversion")
MAX_MESSAGE_BYTES = 1024 * 1024


class InvalidMessage(Exception):
    """A message that no retry can make valid."""


def check_message(topic: str, body: bytes, headers: dict[str, Any]) -> tuple[Envelope, DomainEvent]:
    """The envelope and the event of one message; raise InvalidMessage with the reason."""
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
    return envelope, event


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
