"""The three services as separate processes, driven over HTTP and Kafka as partners would.

Housing is killed (SIGKILL, no clean stop) while arrivals stream in, then restarted: every
arrival must end placed or waiting exactly once.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter

import asyncpg
import httpx
import pytest

from demo.processes import ServiceProcess
from tests.conftest import OPERATOR_KEY, eventually
from tests.e2e.conftest import partner_key
from tests.factories import arrival, group_of_friends, person

pytestmark = pytest.mark.e2e

OPERATOR = {"X-API-Key": OPERATOR_KEY}
BEDS = 40
ARRIVALS = 60


def body_for(index: int) -> dict[str, object]:
    if index % 10 == 0:
        return group_of_friends(4, tag=str(index))
    if index % 3 == 0:
        return arrival(person(given=f"П{index}"), person(given=f"С{index}", relation="spouse"))
    return arrival(person(given=f"Один{index}"))


async def test_housing_killed_mid_stream_places_every_arrival_exactly_once(
    processes: dict[str, ServiceProcess], databases: dict[str, str]
) -> None:
    intake, housing = processes["intake"], processes["housing"]
    key = partner_key(intake)
    async with httpx.AsyncClient(timeout=30) as client:
        for number, beds in enumerate((12, 12, 10, 6)):
            opened = await client.post(
                f"{housing.url}/v1/shelters",
                json={"name": f"Shelter {number}", "kind": "gym", "district": "Oral", "beds": beds},
                headers={**OPERATOR, "Idempotency-Key": f"shelter-{number}"},
            )
            assert opened.status_code == 201, opened.text

        people: list[str] = []
        for index in range(ARRIVALS):
            if index == ARRIVALS // 3:
                housing.kill()  # mid-stream, with events in flight
            if index == ARRIVALS // 2:
                housing.start()
            answer = await client.post(
                f"{intake.url}/v1/arrivals",
                json=body_for(index),
                headers={"X-API-Key": key, "Idempotency-Key": f"arrival-{index}"},
            )
            assert answer.status_code == 201, answer.text
            people.extend(answer.json()["person_ids"])
        housing.wait_ready()

        # the second kill lands while the backlog is being worked off
        await asyncio.sleep(0.5)
        housing.kill()
        housing.start()
        housing.wait_ready()

    intake_db = await asyncpg.connect(databases["intake"])
    published = await intake_db.fetchval("SELECT count(*) FROM events WHERE topic IS NOT NULL")
    await intake_db.close()
    housing_db = await asyncpg.connect(databases["housing"])
    aid_db = await asyncpg.connect(databases["aid"])
    try:

        async def all_decided() -> bool:
            return int(await housing_db.fetchval("SELECT count(*) FROM placements")) >= len(people)

        await eventually(all_decided, timeout=90, what="housing to decide on every person")
        decisions = await housing_db.fetch(
            "SELECT data::text AS data FROM events "
            "WHERE event_type IN ('BedAssigned', 'PersonWaitlisted')"
        )
        per_person = Counter(json.loads(row["data"])["person_id"] for row in decisions)
        placed = await housing_db.fetchval(
            "SELECT count(*) FROM placements WHERE status IN ('held', 'checked_in')"
        )
        beds_taken = await housing_db.fetch(
            "SELECT unit_id, bed_number, count(*) AS n FROM placements "
            "WHERE status IN ('held', 'checked_in') GROUP BY 1, 2"
        )
        occupied = await housing_db.fetchval("SELECT sum(held + occupied) FROM units")

        async def inbox_caught_up() -> bool:
            # placements are decided before the consents that follow them on the topic are
            # consumed: wait for every intake event, then check it was handled once
            return int(await housing_db.fetchval("SELECT count(*) FROM inbox")) >= int(published)

        await eventually(inbox_caught_up, timeout=60, what="housing to consume every event")
        inbox = await housing_db.fetchval("SELECT count(*) FROM inbox")

        async def aid_caught_up() -> bool:
            granted = await aid_db.fetchval(
                "SELECT count(*) FROM events WHERE event_type = 'EntitlementGranted'"
            )
            return int(granted) >= int(placed)

        await eventually(aid_caught_up, timeout=60, what="aid to entitle every resident")
        granted = await aid_db.fetchval(
            "SELECT count(*) FROM events WHERE event_type = 'EntitlementGranted'"
        )
    finally:
        await housing_db.close()
        await aid_db.close()

    assert set(per_person) == set(people)
    assert max(per_person.values()) == 1, "someone was placed or waitlisted twice"
    assert placed == occupied == BEDS  # more people than beds: every bed is taken, none twice
    assert all(row["n"] == 1 for row in beds_taken)
    assert inbox == published  # one inbox entry per intake event, redeliveries skipped
    assert granted == placed
