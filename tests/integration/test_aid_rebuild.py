"""Aid's read models rebuild from its event store to exactly the rows built live: in process
(shared.rebuild), folded in memory and copied or replayed through the projector, and with the
operator command ``python -m services.aid.cli rebuild``; an append in flight meanwhile is
replayed, not lost."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime

import asyncpg
import pytest

from services.aid.main import event_store
from services.aid.projections import READ_MODEL_TABLES
from shared.eventstore import Causation
from shared.rebuild import rebuild_read_models
from shared.schemas.aid import AidItem, IssuedPer, ItemRulesSet
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
from tests.conftest import eventually
from tests.integration.aid_helpers import RunningAid, running_aid
from tests.integration.helpers import event_types_of, read_models
from tests.stack import REPO, Stack

pytestmark = pytest.mark.integration


@pytest.fixture
async def aid(stack: Stack, databases: dict[str, str], namespace: str) -> AsyncIterator[RunningAid]:
    async with running_aid(stack, databases, namespace) as running:
        yield running


#: every event type aid's projection writes a read model from
PROJECTED = {
    "BeneficiaryRegistered", "BeneficiaryFactsUpdated", "ResidentRecorded", "EntitlementGranted",
    "ResidencyEnded", "EntitlementsClosed", "ItemRulesSet", "DonationReceived",
    "StockTransferredIn", "StockTransferredOut", "StockWrittenOff", "StockIssued", "AidIssued",
    "HouseholdAidIssued", "SupportRequested",
    "SupportRequestWithdrawn", "MatchProposed", "MatchAccepted", "MatchCompleted",
    "MatchWithdrawn", "OfferPublished", "OfferDetailsRecorded", "OfferWithdrawn",
    "OfferPlaceTaken", "OfferPlaceReleased",
}  # fmt: skip


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
    second_trip = await aid.post("/v1/support-requests", {"kind": "onward_travel",
                                                          "person_id": str(duplicate),
                                                          "destination_country": "GE"})  # fmt: skip
    [declined] = second_trip.json()["proposed"]
    assert (await aid.post(f"/v1/matches/{declined['match_id']}/acceptance")).status_code == 200
    withdrawn = await aid.post(f"/v1/matches/{declined['match_id']}/withdrawal",
                               {"reason": "declined"})  # fmt: skip
    assert withdrawn.status_code == 200  # the place it held is free again
    assert (await aid.post(f"/v1/offers/{ride.json()['offer_id']}/withdrawal")).status_code == 200
    await aid.depart(friend, arrival)


@pytest.mark.parametrize(
    "rebuild", ["folded in memory and copied", "replayed through the projector"]
)
async def test_the_read_models_rebuild_to_exactly_the_rows_built_live(
    aid: RunningAid, rebuild: str
) -> None:
    await live_history(aid)
    live = await read_models(aid.pool, READ_MODEL_TABLES)
    assert [table for table, rows in live.items() if not rows] == []  # every table is covered
    assert PROJECTED - await event_types_of(aid.pool) == set()  # and every kind of change
    async with aid.pool.acquire() as conn:  # the read models drift, or are lost
        await conn.execute("DELETE FROM issues; UPDATE stock SET quantity = 0")
        await conn.execute("UPDATE support_requests SET status = 'withdrawn'")
    store = event_store()
    if rebuild == "replayed through the projector":
        store = replace(store, rebuilder=None)

    replayed = await rebuild_read_models(aid.pool, store, READ_MODEL_TABLES)

    rebuilt = await read_models(aid.pool, READ_MODEL_TABLES)
    async with aid.pool.acquire() as conn:
        assert replayed == await conn.fetchval("SELECT count(*) FROM events")
    for table in READ_MODEL_TABLES:
        assert rebuilt[table] == live[table], table


async def test_an_append_in_flight_when_the_rebuild_starts_is_replayed_not_lost(
    aid: RunningAid,
) -> None:
    store = event_store()
    rules = ItemRulesSet(
        actor="operator", occurred_at=datetime.now(UTC), item=AidItem.HYGIENE_KIT,
        per=IssuedPer.PERSON, max_per_day=1, min_interval_hours=0, residents_only=False,
        vulnerable_first=False, total_cap=None, low_stock_level=0,
    )  # fmt: skip
    async with aid.pool.acquire() as conn:
        appending = conn.transaction()
        await appending.start()
        await store.append(conn, rules.stream_id, 0, [rules], Causation.new())  # projected
        rebuilding = asyncio.create_task(rebuild_read_models(aid.pool, store, READ_MODEL_TABLES))
        await eventually(lambda: lock_awaited(aid.database_url), what="the rebuild to wait")
        await appending.commit()

    replayed = await rebuilding

    assert replayed == 1
    assert len((await read_models(aid.pool, ("item_rules",)))["item_rules"]) == 1


async def lock_awaited(database_url: str) -> bool:
    conn = await asyncpg.connect(database_url)
    try:
        return bool(await conn.fetchval("SELECT EXISTS (SELECT 1 FROM pg_locks WHERE NOT granted)"))
    finally:
        await conn.close()


async def test_the_rebuild_command_replays_every_event(aid: RunningAid) -> None:
    await live_history(aid)
    live = await read_models(aid.pool, READ_MODEL_TABLES)
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
    assert await read_models(aid.pool, READ_MODEL_TABLES) == live
