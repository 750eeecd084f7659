"""The Kafka headers of a stored event, as the outbox relay (shared.outbox) sends it: the
CloudEvents attributes in binary mode, the journey's correlation and causation ids, and the
trace context the event was appended in, so that the consumer's span continues that trace."""

from __future__ import annotations

from datetime import UTC

import asyncpg

from shared.schemas.envelope import Envelope, journey_headers

TRACE_HEADERS = ("traceparent", "tracestate")
Headers = list[tuple[str, bytes]]


def envelope_of(row: asyncpg.Record, metadata: dict[str, str], source: str) -> Envelope:
    """The envelope of one stored event (validated: for tests and tools; the relay's hot path
    builds headers as headers_of does, which must give the same headers)."""
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


def headers_of(row: asyncpg.Record, metadata: dict[str, str], source: str) -> Headers:
    """The Kafka headers of one stored event: the envelope, then the trace context it was
    appended in. Built by hand: validating an envelope per event cost as much as sending it,
    and every value here comes from our own events table. The relay builds the part the
    events of one append share once per append."""
    return [*event_headers(row, source.encode()), *append_headers(metadata)]


def event_headers(row: asyncpg.Record, source: bytes) -> Headers:
    """The headers of the event itself: its CloudEvents attributes."""
    return [
        ("ce_specversion", b"1.0"),
        ("ce_id", str(row["event_id"]).encode()),
        ("ce_type", f"{row['event_type']}.v{row['schema_version']}".encode()),
        ("ce_source", source),
        ("ce_subject", row["stream_id"].encode()),
        ("ce_time", row["recorded_at"].astimezone(UTC).isoformat().replace("+00:00", "Z").encode()),
    ]


def append_headers(metadata: dict[str, str]) -> Headers:
    """The headers all events of one append share (their metadata is the same)."""
    headers = journey_headers(metadata)
    headers.append(("content-type", b"application/json"))
    # the trace context of the transaction that appended the event: the consumer's span
    # continues that trace, so a journey stays one trace across services
    headers.extend((name, metadata[name].encode()) for name in TRACE_HEADERS if metadata.get(name))
    return headers
