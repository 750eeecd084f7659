"""A redelivered event is found in the inbox and skipped: effectively-once effects."""

from __future__ import annotations

import pytest

from tests.conftest import RunningServices, eventually
from tests.factories import arrival, person
from tests.integration.helpers import open_shelter, placement_of, produce, read_topic

pytestmark = pytest.mark.integration


async def test_the_same_event_delivered_twice_places_the_person_once(
    services: RunningServices,
) -> None:
    bootstrap = services.apps["housing"].state.runtime.settings.kafka_bootstrap_servers
    topic = f"{services.namespace}.intake.events.v2"
    await open_shelter(services, beds=10)
    answer = await services.intake.post(
        "/v1/arrivals",
        json=arrival(person(), person(given="Мария", relation="spouse")),
        headers={"X-API-Key": services.partner_key, "Idempotency-Key": "twice"},
    )
    person_id = answer.json()["person_ids"][0]
    await placement_of(services, person_id)
    [original] = [
        record
        for record in await read_topic(bootstrap, topic)
        if dict(record.headers)["ce_type"] == b"ArrivalRegistered.v2"
    ]

    # the very same message again, as Kafka would redeliver it after a crash
    headers = {name: value.decode() for name, value in original.headers}
    await produce(bootstrap, topic, original.value, headers, key=original.key)
    consumer = services.apps["housing"].state.runtime.consumer

    async def skipped() -> bool:
        return bool(consumer.skipped_duplicates >= 1)

    await eventually(skipped, what="housing to skip the redelivered event")
    async with services.pool("housing").acquire() as conn:
        assigned = await conn.fetchval(
            "SELECT count(*) FROM events WHERE event_type = 'BedAssigned'"
        )
        occupied = await conn.fetchval("SELECT sum(held + occupied) FROM units")
        inbox = await conn.fetchval("SELECT count(*) FROM inbox")
    async with services.pool("intake").acquire() as conn:
        published = await conn.fetchval("SELECT count(*) FROM events WHERE topic IS NOT NULL")
    assert (assigned, occupied, inbox) == (2, 2, published)
