"""A placement reads the units that have a free place, not every shelter.

The Oral week's rented rooms and hosts' homes are thousands of shelters of one unit each. Each
arrival joined every open shelter to its units to find the few with a free place, so arrivals
cost more as shelters opened (at 10,000 people, 160 index probes per arrival once the town was
full). The free units have an index of their own, and statistics that tell the planner how few
they are.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest

from services.housing.queries import _BY_KIND, _FREE_UNITS
from tests.conftest import RunningServices
from tests.integration.test_waitlist_offer import OPERATOR

pytestmark = pytest.mark.integration
FULL = 3_000  # shelters of one full room


@pytest.fixture
def service_names() -> tuple[str, ...]:
    return ("intake", "housing")


def rows_scanned(plan: dict[str, Any]) -> dict[str, int]:
    """The rows each table's reads looked at (those given and those a filter dropped), summed
    over the plan's reads of it and their loops."""
    found: dict[str, int] = {}
    if "Relation Name" in plan:
        looked_at = plan["Actual Rows"] + plan.get("Rows Removed by Filter", 0)
        rows = looked_at * plan["Actual Loops"]
        found[plan["Relation Name"]] = found.get(plan["Relation Name"], 0) + rows
    for inner in plan.get("Plans", ()):
        for table, rows in rows_scanned(inner).items():
            found[table] = found.get(table, 0) + rows
    return found


#: the Oral week at 100,000 people: about 3,000 shelters, nearly all full by its fourth day;
#: written straight into the read model (a query plan's test: opening and filling 3,000
#: shelters through the API would take minutes), analyzed as autovacuum would
_FULL_TOWN = f"""
WITH opened AS (
    INSERT INTO shelters (shelter_id, name, kind, district, status, opened_at)
    SELECT gen_random_uuid(), 'Room ' || n, 'rented_room', 'Villages', 'open', now()
    FROM generate_series(1, {FULL}) AS n RETURNING shelter_id
)
INSERT INTO units (unit_id, shelter_id, name, places, attributes, languages, held, occupied)
SELECT gen_random_uuid(), shelter_id, 'room', 2, '{{}}', '{{}}', 1, 1 FROM opened
"""


async def test_finding_free_places_reads_the_free_units_not_every_full_shelter(
    services: RunningServices,
) -> None:
    body = {"name": "Hostel", "kind": "hostel", "district": "Oral", "beds": 3}
    answer = await services.housing.post(
        "/v1/shelters", json=body, headers={**OPERATOR, "Idempotency-Key": str(uuid4())}
    )
    assert answer.status_code == 201, answer.text
    async with services.pool("housing").acquire() as conn, conn.transaction():
        await conn.execute(_FULL_TOWN)
        await conn.execute("ANALYZE units")
        await conn.execute("ANALYZE shelters")
        # the plan a connection keeps once it stops planning per call: the generic one
        await conn.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        await conn.execute(f"PREPARE free (date) AS {_FREE_UNITS}{_BY_KIND}")
        today = datetime.now(UTC).date().isoformat()
        plan = await conn.fetchval(f"EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE free('{today}')")
        await conn.execute("DEALLOCATE free")
    read = rows_scanned(json.loads(plan)[0]["Plan"])

    # one unit is free, in one shelter: that is what is read, of 3,001 of each
    assert read.get("units", 0) <= 1 and read.get("shelters", 0) <= 1, read
