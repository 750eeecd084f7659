"""Aid's read models rebuild from its event store to exactly the rows built live: in process
(shared.rebuild) and with the operator command ``python -m services.aid.cli rebuild``."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest

from services.aid.main import event_store
from services.aid.projections import READ_MODEL_TABLES
from shared.rebuild import rebuild_read_models
from shared.schemas.intake import (
    AgeBand,
    ArrivingMember,
    MergeUndone,
    NeedCode,
    PersonFactsCorrected,
    PersonsMerged,
    Relation,
    Sex,
)
from shared.topics import INTAKE_EVENTS
from tests.integration.aid_helpers import RunningAid, running_aid
from tests.stack import REPO, Stack

pytestmark = pytest.mark.integration


@pytest.fixture
async def aid(stack: Stack, databases: dict[str, str], namespace: str) -> AsyncIterator[RunningAid]:
    async with running_aid(stack, databases, namespace) as running:
        yield running


Snapshot = dict[str, list[tuple[Any, ...]]]


async def snapshot(pool: asyncpg.Pool) -> Snapshot:
    """Every row of every read model, in a stable order."""
    async with pool.acquire() as conn:
        tables = {}
        for table in READ_MODEL_TABLES:
            rows = await conn.fetch(f"SELECT * FROM {table}")
            tables[table] = sorted(tuple(map(repr, row.values())) for row in rows)
        return tables


async def live_history(aid: RunningAid) -> None:
    """A bit of everything aid's read models are built from."""
    arrival, [mother, child, friend] = await aid.arrive(
        (NeedCode.SINGLE_HEADED_HOUSEHOLD,), (), (), age_band=AgeBand.YOUNG_ADULT
    )
    _, [duplicate] = await aid.arrive()
    await aid.check_in(mother)
    await aid.check_in(friend)
    await aid.check_in(duplicate)
    await aid.check_out(friend, await aid.check_in(friend))
    await aid.handled(INTAKE_EVENTS, PersonFactsCorrected(
        actor="partner:wp-test", occurred_at=datetime.now(UTC), person_id=child,
        age_band=AgeBand.CHILD, sex=Sex.FEMALE, needs=(), languages=("ru",),
    ))  # fmt: skip
    await aid.handled(INTAKE_EVENTS, PersonsMerged(
        actor="operator", occurred_at=datetime.now(UTC), duplicate_person_id=duplicate,
        kept_person_id=friend,
    ))  # fmt: skip
    await aid.handled(INTAKE_EVENTS, MergeUndone(
        actor="operator", occurred_at=datetime.now(UTC), duplicate_person_id=duplicate,
        kept_person_id=friend, arrival_id=arrival,
        member=ArrivingMember(person_id=duplicate, age_band=AgeBand.ADULT, sex=Sex.MALE,
                              relation=Relation.SELF),
    ))  # fmt: skip
    await aid.check_in(duplicate)  # a person of their own again, housed again

    rules = {"per": "household", "max_per_day": 1, "min_interval_hours": 72,
             "residents_only": False, "vulnerable_first": True, "total_cap": 3,
             "low_stock_level": 2}  # fmt: skip
    assert (await aid.post("/v1/items/hygiene_kit/rules", rules)).status_code == 200
    await aid.donate("atameken-camp", "food_parcel", 12)
    await aid.donate("atameken-camp", "hygiene_kit", 4, donor_kind="municipality")
    route = {"item": "food_parcel", "from_site_id": "atameken-camp", "to_site_id": "gym-5"}
    assert (await aid.post("/v1/transfers", {**route, "quantity": 5})).status_code == 201
    lost = {"site_id": "gym-5", "item": "food_parcel", "quantity": 1, "reason": "lost"}
    assert (await aid.post("/v1/write-offs", lost)).status_code == 201
    for someone, site in ((mother, "atameken-camp"), (duplicate, "gym-5")):
        assert (await aid.issue(someone, site, "food_parcel")).status_code == 201
    assert (await aid.issue(child, "gym-5", "food_parcel")).status_code == 422
    assert (await aid.issue(child, "atameken-camp", "hygiene_kit")).status_code == 201
    assert (await aid.issue(mother, "atameken-camp", "hygiene_kit")).status_code == 422

    ride = await aid.post("/v1/offers", {"kind": "ride", "partner": "Drivers", "title": "Car",
                                         "country": "GE", "places": 2})  # fmt: skip
    assert ride.status_code == 201
    trip = await aid.post("/v1/support-requests", {"kind": "onward_travel",
                                                   "person_id": str(friend),
                                                   "destination_country": "GE"})  # fmt: skip
    [proposal] = trip.json()["proposed"]
    assert (await aid.post(f"/v1/matches/{proposal['match_id']}/acceptance")).status_code == 200
    assert (await aid.post(f"/v1/matches/{proposal['match_id']}/completion")).status_code == 200
    job = await aid.post("/v1/support-requests", {"kind": "job_search",
                                                  "person_id": str(mother),
                                                  "skills": ["accounting"]})  # fmt: skip
    await aid.post(f"/v1/support-requests/{job.json()['request_id']}/withdrawal", {})
    await aid.depart(friend, arrival)


async def test_the_read_models_rebuild_to_exactly_the_rows_built_live(aid: RunningAid) -> None:
    await live_history(aid)
    live = await snapshot(aid.pool)
    assert [table for table, rows in live.items() if not rows] == []  # every table is covered
    async with aid.pool.acquire() as conn:  # the read models drift, or are lost
        await conn.execute("DELETE FROM issues; UPDATE stock SET quantity = 0")
        await conn.execute("UPDATE support_requests SET status = 'withdrawn'")

    replayed = await rebuild_read_models(aid.pool, event_store(), READ_MODEL_TABLES)

    rebuilt = await snapshot(aid.pool)
    async with aid.pool.acquire() as conn:
        assert replayed == await conn.fetchval("SELECT count(*) FROM events")
    for table in READ_MODEL_TABLES:
        assert rebuilt[table] == live[table], table


async def test_the_rebuild_command_replays_every_event(aid: RunningAid) -> None:
    await live_history(aid)
    live = await snapshot(aid.pool)
    async with aid.pool.acquire() as conn:
        await conn.execute(f"TRUNCATE {', '.join(READ_MODEL_TABLES)}")
        events = await conn.fetchval("SELECT count(*) FROM events")

    command = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.aid.cli", "rebuild",
        cwd=REPO, env={**os.environ, "AID_DATABASE_URL": aid.database_url},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await command.communicate()

    assert command.returncode == 0, err.decode()
    assert f"replayed {events} events" in out.decode()
    assert await snapshot(aid.pool) == live
