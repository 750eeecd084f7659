"""Messages a consumer cannot handle go to its dead-letter topic; it goes on with the next."""

from __future__ import annotations

import json
from typing import Any
from uuid import uuid4

import pytest

from tests.conftest import RunningServices, eventually
from tests.factories import arrival, person
from tests.integration.helpers import open_shelter, placement_of, produce, read_topic

pytestmark = pytest.mark.integration


def envelope(event_id: str | None = None) -> dict[str, str]:
    return {
        "ce_specversion": "1.0",
        "ce_id": event_id or str(uuid4()),
        "ce_type": "ArrivalRegistered.v2",
        "ce_source": "/tests",
        "content-type": "application/json",
    }


async def test_invalid_json_and_schema_failures_are_dead_lettered_and_the_next_is_handled(
    services: RunningServices,
) -> None:
    bootstrap = services.apps["housing"].state.runtime.settings.kafka_bootstrap_servers
    topic = f"{services.namespace}.intake.events.v2"
    not_json = b'{"type": "ArrivalRegistered", "members": ['
    wrong_schema = json.dumps({"type": "ArrivalRegistered", "schema_version": 2}).encode()
    await open_shelter(services, beds=4)
    await produce(bootstrap, topic, not_json, envelope(), key=b"same-partition")
    await produce(bootstrap, topic, wrong_schema, envelope(), key=b"same-partition")
    await produce(bootstrap, topic, b"{}", {"content-type": "application/json"}, b"same-partition")

    registered = await services.intake.post(
        "/v1/arrivals",
        json=arrival(person()),
        headers={"X-API-Key": services.partner_key, "Idempotency-Key": "after-poison"},
    )
    placement = await placement_of(services, registered.json()["person_ids"][0])

    async def three_dead_letters() -> list[Any] | None:
        records = await read_topic(bootstrap, f"{services.namespace}.housing.deadletter.v1")
        return records if len(records) >= 3 else None

    dead = await eventually(three_dead_letters, what="three dead letters from housing")
    reasons = [dict(record.headers)["dlq_reason"].decode() for record in dead]
    assert placement["status"] == "held"
    assert any("does not match the schema" in reason for reason in reasons)
    assert any("Invalid JSON" in reason or "EOF" in reason for reason in reasons)
    assert any("missing CloudEvents header" in reason for reason in reasons)
    assert {record.value for record in dead} == {not_json, wrong_schema, b"{}"}
    for record in dead:
        headers = dict(record.headers)
        assert headers["dlq_original_topic"].decode() == topic
        assert headers["dlq_consumer"].decode() == "housing"
    async with services.pool("intake").acquire() as conn:
        published = await conn.fetchval("SELECT count(*) FROM events WHERE topic IS NOT NULL")
    async with services.pool("housing").acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM inbox") == published  # none dead


async def test_a_future_schema_version_is_dead_lettered_not_misread(
    services: RunningServices,
) -> None:
    bootstrap = services.apps["housing"].state.runtime.settings.kafka_bootstrap_servers
    future = json.dumps({"type": "ArrivalRegistered", "schema_version": 3}).encode()
    headers = {**envelope(), "ce_type": "ArrivalRegistered.v3"}

    await produce(bootstrap, f"{services.namespace}.intake.events.v2", future, headers)

    async def dead_letter() -> list[Any] | None:
        return await read_topic(bootstrap, f"{services.namespace}.housing.deadletter.v1") or None

    [record] = await eventually(dead_letter, what="the dead letter of a future version")
    assert "schema_version" in dict(record.headers)["dlq_reason"].decode()
