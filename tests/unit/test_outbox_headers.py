"""The relay builds Kafka headers by hand for speed; they must be the envelope's headers."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from uuid import uuid4

import pytest
from cloudevents.core.bindings import kafka

from shared.event_headers import envelope_of, headers_of
from shared.schemas.envelope import Envelope

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def stored_event(recorded_at: datetime) -> dict[str, object]:
    return {
        "event_id": uuid4(),
        "event_type": "ArrivalRegistered",
        "schema_version": 2,
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


def test_the_cloudevents_sdk_reads_every_attribute_and_writes_the_same_headers_back() -> None:
    row = stored_event(datetime(2022, 9, 24, 3, 15, 7, 123456, tzinfo=UTC))
    metadata = {"correlation_id": "c-1", "causation_id": "e-0", "traceparent": TRACEPARENT}
    built = headers_of(row, metadata, "/services/intake")
    message = kafka.KafkaMessage(
        headers=dict(built), key=str(row["stream_id"]).encode(), value=b'{"type": "x"}'
    )

    event = kafka.from_binary_event(message)
    attributes = event.get_attributes()
    again = kafka.to_binary_event(event)

    assert attributes["id"] == str(row["event_id"])
    assert attributes["type"] == "ArrivalRegistered.v2"
    assert attributes["source"] == "/services/intake"
    assert attributes["subject"] == row["stream_id"]
    assert attributes["time"] == row["recorded_at"]
    assert attributes["datacontenttype"] == "application/json"
    assert (attributes["correlationid"], attributes["causationid"]) == ("c-1", "e-0")
    # nothing the SDK understands is lost on the way back (it adds the key as partitionkey)
    ours = {name: value for name, value in built if name.startswith("ce_")}
    assert {name: again.headers[name] for name in ours} == ours
    assert again.headers["content-type"] == b"application/json"
    assert json.loads(again.value) == {"type": "x"}


def test_a_consumer_reads_the_journey_from_the_extension_headers_alone() -> None:
    row = stored_event(datetime(2022, 9, 24, 3, 15, 7, tzinfo=UTC))
    built = headers_of(row, {"correlation_id": "c-1", "causation_id": "e-0"}, "/services/aid")
    only_cloudevents = {name: value.decode() for name, value in built if name.startswith("ce_")}
    parsed = Envelope.from_headers(only_cloudevents)
    assert (parsed.correlation_id, parsed.causation_id) == ("c-1", "e-0")
