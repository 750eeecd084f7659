"""The relay builds Kafka headers by hand for speed; they must be the envelope's headers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from uuid import uuid4

import pytest

from shared.outbox import envelope_of, headers_of
from shared.schemas.envelope import Envelope

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def stored_event(recorded_at: datetime) -> dict[str, object]:
    return {
        "event_id": uuid4(),
        "event_type": "ArrivalRegistered",
        "schema_version": 1,
        "stream_id": str(uuid4()),
        "recorded_at": recorded_at,
    }


@pytest.mark.parametrize(
    "recorded_at",
    [
        datetime(2022, 9, 24, 3, 15, 7, 123456, tzinfo=UTC),
        datetime(2022, 9, 24, 3, 15, 7, tzinfo=UTC),  # no fraction of a second
        datetime(2022, 9, 24, 8, 15, 7, 5, tzinfo=timezone(timedelta(hours=5))),  # Oral's zone
    ],
)
@pytest.mark.parametrize(
    "metadata",
    [
        {"correlation_id": "c-1", "causation_id": "e-0", "traceparent": TRACEPARENT},
        {"correlation_id": "c-1", "causation_id": None},
    ],
)
def test_hand_built_headers_equal_the_validated_envelope(
    recorded_at: datetime, metadata: dict[str, str]
) -> None:
    row = stored_event(recorded_at)
    expected = envelope_of(row, metadata, "/services/intake").headers()
    built = headers_of(row, metadata, "/services/intake")
    envelope_part = [
        (name, value) for name, value in built if name.startswith(("ce_", "corr", "caus"))
    ]
    assert envelope_part == expected
    parsed = Envelope.from_headers({name: value.decode() for name, value in built})
    assert parsed.time == recorded_at
    assert ("content-type", b"application/json") in built
    assert dict(built).get("traceparent") == (
        TRACEPARENT.encode() if "traceparent" in metadata else None
    )
