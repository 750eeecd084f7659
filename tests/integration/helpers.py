"""Reading the real Kafka topics and the services' read models in integration tests."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from typing import Any
from uuid import uuid4

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from shared.schemas.registry import TOPIC_ADAPTERS
from tests.conftest import OPERATOR_KEY, RunningServices, eventually

OPERATOR = {"X-API-Key": OPERATOR_KEY}
#: typed into the names, districts and cities a topic test sends: none of it may be published
CANARY = "Kanareyka"


async def partitions_of(bootstrap: str, topic: str) -> list[int]:
    """The partitions of a topic, asked of the broker now (a consumer's metadata may lag)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        [description] = await admin.describe_topics([topic])
    finally:
        await admin.close()
    if description.get("error_code"):
        return []  # not created yet
    return sorted(partition["partition"] for partition in description["partitions"])


async def read_topic(bootstrap: str, topic: str) -> list[Any]:
    """Every record of a topic so far, from the beginning of each partition."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False
    )
    await consumer.start()
    try:
        partitions = await partitions_of(bootstrap, topic)
        assigned = [TopicPartition(topic, partition) for partition in partitions]
        if not assigned:
            return []
        consumer.assign(assigned)
        await consumer.seek_to_beginning(*assigned)
        ends = await consumer.end_offsets(assigned)
        records: list[Any] = []
        while [tp for tp in assigned if await consumer.position(tp) < ends[tp]]:
            batch = await consumer.getmany(timeout_ms=1000)
            for messages in batch.values():
                records.extend(messages)
        return records
    finally:
        # aiokafka 0.14 re-raises the CancelledError of its own internal task when a consumer
        # without a group stops (NoGroupCoordinator.close); that is not our cancellation
        with contextlib.suppress(asyncio.CancelledError):
            await consumer.stop()


async def produce(
    bootstrap: str, topic: str, value: bytes, headers: dict[str, str], key: bytes | None = None
) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(
            topic,
            value,
            key=key or uuid4().bytes,
            headers=[(name, text.encode()) for name, text in headers.items()],
        )
    finally:
        await producer.stop()


async def published_codes_only(
    bootstrap: str, namespace: str, topic: str, *, until: Callable[[list[Any]], bool], what: str
) -> list[Any]:
    """The records of ``topic`` once ``until`` holds for them, each checked to be an event of
    the topic's contract that carries nothing of ``CANARY``: what people typed stays with the
    service it was typed into."""

    async def published() -> list[Any] | None:
        records = await read_topic(bootstrap, f"{namespace}.{topic}")
        return records if until(records) else None

    records = await eventually(published, what=what)
    for record in records:
        TOPIC_ADAPTERS[topic].validate_json(record.value)
        assert CANARY.encode() not in record.value, record.value
    return records


async def posted_to_housing(
    services: RunningServices, path: str, body: dict[str, Any]
) -> httpx.Response:
    """An operator's POST to housing, with a fresh Idempotency-Key."""
    return await services.housing.post(
        path, json=body, headers={**OPERATOR, "Idempotency-Key": str(uuid4())}
    )


async def open_shelter(services: RunningServices, beds: int, name: str = "Atameken") -> str:
    answer = await services.housing.post(
        "/v1/shelters",
        json={"name": name, "kind": "camp_dormitory", "district": "Zachagansk", "beds": beds},
        headers={**OPERATOR, "Idempotency-Key": f"shelter-{uuid4()}"},
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["shelter_id"])


async def placement_of(services: RunningServices, person_id: str) -> dict[str, Any]:
    async def placed() -> dict[str, Any] | None:
        answer = await services.housing.get(f"/v1/placements/{person_id}", headers=OPERATOR)
        return answer.json() if answer.status_code == 200 else None

    return await eventually(placed, what=f"housing to place {person_id}")


async def entitlements_of(services: RunningServices, person_id: str) -> dict[str, Any]:
    async def entitled() -> dict[str, Any] | None:
        answer = await services.aid.get(f"/v1/entitlements/{person_id}", headers=OPERATOR)
        if answer.status_code == 200 and answer.json()["entitlements"]:
            return dict(answer.json())
        return None

    return await eventually(entitled, what=f"aid to entitle {person_id}")


ReadModels = dict[str, list[str]]


async def read_models(pool: asyncpg.Pool, tables: Sequence[str]) -> ReadModels:
    """Every row of every table, all its columns as Postgres prints them, sorted: two equal
    snapshots hold the same rows, value for value."""
    async with pool.acquire() as conn:
        return {
            table: [row[0] for row in await conn.fetch(f"SELECT t::text FROM {table} t ORDER BY 1")]
            for table in tables
        }


async def event_types_of(pool: asyncpg.Pool) -> set[str]:
    """The types of the events in a service's store."""
    async with pool.acquire() as conn:
        return {row[0] for row in await conn.fetch("SELECT DISTINCT event_type FROM events")}
