"""Aid's use cases: a bed assigned by housing makes a resident with a food-parcel entitlement."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from services.aid.domain import RecordResident, beneficiary
from shared.decider import execute
from shared.eventstore import Causation, EventStore
from shared.schemas.housing import BedAssigned


async def record_resident(
    conn: asyncpg.Connection,
    store: EventStore,
    bed: BedAssigned,
    causation: Causation,
    now: datetime,
) -> None:
    command = RecordResident(bed.person_id, bed.shelter_id, actor="service:aid", now=now)
    await execute(conn, store, beneficiary, str(bed.person_id), command, causation)
