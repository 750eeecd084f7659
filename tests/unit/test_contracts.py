"""The event contracts: frozen, strict, versioned, and parsed in one call per topic."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from uuid import uuid4

import pytest
from pydantic import ValidationError

from shared.consumer import parse_incoming
from shared.message_checks import InvalidMessage
from shared.schemas.envelope import Envelope
from shared.schemas.intake import (
    AgeBand,
    ArrivalRegistered,
    ArrivingMember,
    Relation,
    Sex,
)
from shared.schemas.registry import EVENT_TYPES, TOPIC_ADAPTERS
from shared.topics import INTAKE_EVENTS, logical, physical

NOW = datetime(2022, 9, 24, 12, 0, tzinfo=UTC)


def registered() -> ArrivalRegistered:
    return ArrivalRegistered(
        actor="partner:wp",
        occurred_at=NOW,
        arrival_id=uuid4(),
        partner_id="wp",
        members=(
            ArrivingMember(
                person_id=uuid4(), age_band=AgeBand.ADULT, sex=Sex.FEMALE, relation=Relation.SELF
            ),
        ),
        keep_together=False,
        arrival_date=date(2022, 9, 24),
        crossing_point="syrym",
    )


def headers(event_id: str | None = None, ce_type: str = "ArrivalRegistered.v2") -> dict[str, str]:
    return {
        "ce_id": event_id or str(uuid4()),
        "ce_type": ce_type,
        "ce_source": "/t",
        "ce_specversion": "1.0",
    }


def test_events_are_frozen() -> None:
    event = registered()
    with pytest.raises(ValidationError):
        event.partner_id = "other"  # type: ignore[misc]


def test_an_event_round_trips_through_its_topic_union() -> None:
    event = registered()
    assert TOPIC_ADAPTERS[INTAKE_EVENTS].validate_json(event.model_dump_json()) == event


def test_an_unknown_field_is_refused_rather_than_ignored() -> None:
    data = json.loads(registered().model_dump_json())
    data["given_name"] = "Алексей"
    with pytest.raises(ValidationError, match="given_name"):
        TOPIC_ADAPTERS[INTAKE_EVENTS].validate_python(data)


def test_every_event_type_names_its_stream_and_documents_every_field() -> None:
    for name, model in EVENT_TYPES.items():
        assert model.stream_field in model.model_fields, name
        undocumented = [
            field
            for field, info in model.model_fields.items()
            if field not in ("type", "schema_version") and not info.description
        ]
        assert undocumented == [], f"{name}: {undocumented}"


def test_every_topic_has_a_union_that_parses_its_events() -> None:
    assert set(TOPIC_ADAPTERS) == {"intake.events.v2", "housing.events.v2", "aid.events.v2"}


def test_parse_incoming_accepts_a_well_formed_message() -> None:
    event = registered()
    event_id = str(uuid4())
    incoming = parse_incoming(INTAKE_EVENTS, event.model_dump_json().encode(), headers(event_id))
    assert incoming.event == event
    assert str(incoming.event_id) == event_id
    assert incoming.causation().causation_id == event_id


@pytest.mark.parametrize(
    ("body", "given_headers", "reason"),
    [
        (b"not json", headers(), "does not match the schema"),
        (b'{"type": "Nope"}', headers(), "does not match the schema"),
        (None, {"ce_type": "ArrivalRegistered.v2"}, "missing CloudEvents header"),
        (None, headers(event_id="not-a-uuid"), "bad envelope: ce_id"),
        (None, headers(ce_type="BedAssigned.v2"), "!= body"),
        (b"x" * (1024 * 1024 + 1), headers(), "exceeds"),
    ],
)
def test_parse_incoming_names_the_reason_of_a_bad_message(
    body: bytes | None, given_headers: dict[str, str], reason: str
) -> None:
    payload = body if body is not None else registered().model_dump_json().encode()
    with pytest.raises(InvalidMessage, match=reason):
        parse_incoming(INTAKE_EVENTS, payload, given_headers)


def test_a_namespace_prefixes_physical_topics_and_is_stripped_again() -> None:
    assert physical(INTAKE_EVENTS, "") == "intake.events.v2"
    assert physical(INTAKE_EVENTS, "t1") == "t1.intake.events.v2"
    assert logical("t1.intake.events.v2", "t1") == INTAKE_EVENTS


def test_the_envelope_round_trips_through_kafka_headers() -> None:
    event_id = uuid4()
    envelope = Envelope.from_headers(
        {
            "ce_specversion": "1.0",
            "ce_id": str(event_id),
            "ce_type": "BedAssigned.v2",
            "ce_source": "/services/housing",
            "ce_time": "2022-09-24T21:00:00+00:00",
            "correlation_id": "c-1",
            "traceparent": "ignored by the envelope",
        }
    )
    headers = dict(envelope.headers())
    assert headers["ce_id"] == str(event_id).encode()
    assert headers["ce_type"] == b"BedAssigned.v2"
    assert "causation_id" not in headers
    assert Envelope.from_headers({k: v.decode() for k, v in headers.items()}) == envelope
