"""The stored history moves to the v2 topics once, by each service's migration: what v1 carried
as free text (names, districts, a city, a crossing point typed before the list) leaves the
published events for the service's own keeping, every published event then reads as v2, and
the relay starts again from the first event to publish the whole history on v2 only."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any
from uuid import uuid4

import asyncpg
import pytest

from services.housing.events import HOUSING_EVENT_TYPES
from services.housing.main import event_store as housing_store
from services.housing.projections import READ_MODEL_TABLES
from shared.migrations import upgrade
from shared.outbox import OutboxRelay
from shared.rebuild import rebuild_read_models
from shared.schemas.registry import TOPIC_ADAPTERS, load_event
from shared.topics import AID_EVENTS, HOUSING_EVENTS, INTAKE_EVENTS, physical
from tests.conftest import eventually
from tests.integration.helpers import read_topic
from tests.stack import Stack

pytestmark = pytest.mark.integration
SERVICES = Path(__file__).parents[2] / "services"
STAMP = {"actor": "operator", "occurred_at": "2022-09-25T10:00:00+00:00", "schema_version": 1}
CANARY = "Canary"  # in every typed text below: none of it may stay on a published event

Stored = tuple[str, dict[str, Any], str | None]  # stream, data, topic


async def _at(url: str, service: str, revision: str, *events: Stored) -> None:
    """A database at ``revision`` holding ``events`` as v1 stored them, its relay past them."""
    await asyncio.to_thread(upgrade, url, SERVICES / service / "migrations", revision)
    conn = await asyncpg.connect(url)
    try:
        versions: dict[str, int] = {}
        for stream, data, topic in events:
            versions[stream] = versions.get(stream, 0) + 1
            await conn.execute(
                "INSERT INTO events (stream_id, version, event_id, event_type, schema_version, "
                "topic, data, metadata) VALUES ($1, $2, $3, $4, 1, $5, $6, '{}')",
                stream, versions[stream], uuid4(), data["type"], topic, json.dumps(data),
            )  # fmt: skip
        await conn.execute(
            "INSERT INTO outbox_checkpoint (relay, transaction_id, global_position) "
            "VALUES ('main', pg_current_xact_id(), 1000000)"
        )
    finally:
        await conn.close()


async def _migrated(url: str, service: str, topic: str) -> list[asyncpg.Record]:
    """Upgrade to head; check what every service's move to v2 promises; the stored events."""
    await asyncio.to_thread(upgrade, url, SERVICES / service / "migrations")
    conn = await asyncpg.connect(url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM outbox_checkpoint") == 0
        rows = await conn.fetch("SELECT * FROM events ORDER BY global_position")
    finally:
        await conn.close()
    published = [row for row in rows if row["topic"] is not None]
    assert published and {row["topic"] for row in published} == {topic}
    for row in published:  # each reads as v2 and carries nothing typed
        TOPIC_ADAPTERS[topic].validate_json(row["data"])
        assert CANARY not in row["data"], row["data"]
    return list(rows)


async def _relayed(pool: asyncpg.Pool, stack: Stack, namespace: str, count: int) -> list[Any]:
    """What the service's relay publishes on its topic when it starts on the migrated store."""
    topic = physical(HOUSING_EVENTS, namespace)
    relay = OutboxRelay(pool, stack.kafka_bootstrap_servers, "/tests", namespace=namespace)
    task = asyncio.create_task(relay.run())
    try:

        async def published() -> list[Any] | None:
            records = await read_topic(stack.kafka_bootstrap_servers, topic)
            return records if len(records) >= count else None

        return list(await eventually(published, what=f"{count} events relayed on {topic}"))
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def _unit(name: str, **more: Any) -> dict[str, Any]:
    return {"unit_id": str(uuid4()), "name": name, "places": 4, "attributes": [], **more}


async def test_housings_names_and_districts_leave_its_topic_and_stay_in_its_read_models(
    databases: dict[str, str], stack: Stack, namespace: str
) -> None:
    shelter, offer, arrival = str(uuid4()), str(uuid4()), str(uuid4())
    dorm, added, home = (
        _unit(f"{CANARY} dorm", languages=["ru", "Russian"]), _unit(f"{CANARY} annex"),
        _unit("home"),
    )  # fmt: skip
    v1 = HOUSING_EVENTS.replace(".v2", ".v1")
    await _at(
        databases["housing"], "housing", "0006",
        (shelter, {**STAMP, "type": "ShelterOpened", "shelter_id": shelter,
                   "name": f"{CANARY} camp", "kind": "camp_dormitory",
                   "district": f"{CANARY} district", "units": [dorm]}, v1),
        (shelter, {**STAMP, "type": "UnitAdded", "shelter_id": shelter, "unit": added}, v1),
        (offer, {**STAMP, "type": "HostOfferMade", "shelter_id": offer, "partner_id": "hn-1",
                 "district": f"{CANARY} village", "unit": home,
                 "available_from": "2022-09-25", "available_until": "2022-10-25"}, v1),
        (arrival, {**STAMP, "type": "PersonWaitlisted", "arrival_id": arrival,
                   "person_id": str(uuid4()),
                   "reason": "no open shelter has 3 fitting free places together"}, v1),
    )  # fmt: skip

    rows = await _migrated(databases["housing"], "housing", HOUSING_EVENTS)

    stored = [load_event(row["event_type"], row["data"], HOUSING_EVENT_TYPES) for row in rows]
    assert [(row["stream_id"], row["version"], row["event_type"]) for row in rows[4:]] == [
        (shelter, 3, "ShelterDescribed"), (shelter, 4, "ShelterDescribed"),
        (offer, 2, "ShelterDescribed"),
    ]  # fmt: skip
    assert all(row["topic"] is None for row in rows[4:])  # kept in housing, never published
    assert json.loads(rows[0]["data"])["units"][0]["languages"] == ["ru"]
    assert stored[3].reason == "no_places_together"  # type: ignore[attr-defined]
    pool = await asyncpg.create_pool(databases["housing"], min_size=1, max_size=3)
    try:
        assert await rebuild_read_models(pool, housing_store(), READ_MODEL_TABLES) == len(rows)
        shelters = await pool.fetch("SELECT name, district FROM shelters ORDER BY kind")
        units = await pool.fetch("SELECT name FROM units ORDER BY name")
        republished = await _relayed(pool, stack, namespace, 4)
    finally:
        await pool.close()
    # the relay, its checkpoint gone, publishes the whole history again, on v2, as v2
    assert sorted(dict(record.headers)["ce_type"] for record in republished) == [
        b"HostOfferMade.v2", b"PersonWaitlisted.v2", b"ShelterOpened.v2", b"UnitAdded.v2",
    ]  # fmt: skip
    assert all(CANARY.encode() not in record.value for record in republished)
    assert [tuple(row) for row in shelters] == [
        (f"{CANARY} camp", f"{CANARY} district"),
        (f"Host home (hn-1), {CANARY} village", f"{CANARY} village"),
    ]
    assert [row["name"] for row in units] == [f"{CANARY} annex", f"{CANARY} dorm", "home"]


async def test_a_crossing_point_typed_before_the_list_becomes_a_code_of_it(
    databases: dict[str, str],
) -> None:
    def arrival(typed: str, code: str | None) -> dict[str, Any]:
        return {**STAMP, "type": "ArrivalRegistered", "actor": "partner:wp",
                "arrival_id": str(uuid4()), "partner_id": "wp", "keep_together": False,
                "members": [{"person_id": str(uuid4()), "age_band": "30-49", "sex": "male",
                             "relation": "self", "needs": [], "languages": ["ru"]}],
                "arrival_date": "2022-09-24", "crossing_point": typed,
                "crossing_point_code": code}  # fmt: skip

    typed = [
        arrival("Syrym ", None),
        arrival(f"{CANARY} ferry", None),
        arrival("taskala", "taskala"),
    ]
    v1 = INTAKE_EVENTS.replace(".v2", ".v1")
    await _at(databases["intake"], "intake", "0007",
              *[(event["arrival_id"], event, v1) for event in typed])  # fmt: skip

    rows = await _migrated(databases["intake"], "intake", INTAKE_EVENTS)

    codes = [json.loads(row["data"])["crossing_point"] for row in rows]
    conn = await asyncpg.connect(databases["intake"])
    try:
        listed = dict(await conn.fetch("SELECT code, name FROM crossing_points"))
    finally:
        await conn.close()
    assert codes[0] == "syrym" and codes[2] == "taskala"
    assert codes[1].startswith("before-list-") and listed[codes[1]] == f"{CANARY} ferry"


async def test_an_offers_city_leaves_aids_topic_for_the_offers_own_details(
    databases: dict[str, str],
) -> None:
    offer = str(uuid4())
    v1 = AID_EVENTS.replace(".v2", ".v1")
    await _at(
        databases["aid"], "aid", "0005",
        (offer, {**STAMP, "type": "OfferPublished", "offer_id": offer, "kind": "ride",
                 "country": "GE", "city": f"{CANARY} city", "profession": None, "skills": [],
                 "languages": ["ru"], "places": 3}, v1),
        (offer, {**STAMP, "type": "OfferDetailsRecorded", "offer_id": offer,
                 "partner": "Ride network", "title": "Seats to Tbilisi", "description": None,
                 "contact": None, "available_until": None}, None),
    )  # fmt: skip

    rows = await _migrated(databases["aid"], "aid", AID_EVENTS)

    assert json.loads(rows[1]["data"])["city"] == f"{CANARY} city"


async def test_a_stored_event_that_would_not_read_as_v2_stops_the_migration_saying_what(
    databases: dict[str, str],
) -> None:
    shelter = str(uuid4())
    opened = {**STAMP, "type": "ShelterOpened", "actor": "partner:Camp Staff",
              "shelter_id": shelter, "name": "Gym", "kind": "gym", "district": "Centre",
              "units": [_unit("Hall")]}  # fmt: skip
    await _at(databases["housing"], "housing", "0006", (shelter, opened, "housing.events.v1"))

    with pytest.raises(Exception, match="stored events hold an actor of no form"):
        await asyncio.to_thread(upgrade, databases["housing"], SERVICES / "housing" / "migrations")

    conn = await asyncpg.connect(databases["housing"])
    try:  # nothing of the migration was kept: the store is as it was, to correct and retry
        assert await conn.fetchval("SELECT version_num FROM alembic_version") == "0006"
        assert await conn.fetchval("SELECT topic FROM events") == "housing.events.v1"
        assert await conn.fetchval("SELECT count(*) FROM outbox_checkpoint") == 1
    finally:
        await conn.close()
