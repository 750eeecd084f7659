"""Aid's use cases: a bed assigned by housing makes a resident with a food-parcel entitlement."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

import asyncpg

from services.aid.domain import CloseEntitlements, RecordResident, beneficiary
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


async def close_entitlements(
    conn: asyncpg.Connection,
    store: EventStore,
    person_id: UUID,
    reason: Literal["departed", "merged"],
    causation: Causation,
    now: datetime,
) -> None:
    command = CloseEntitlements(person_id, reason, actor="service:aid", now=now)
    await execute(conn, store, beneficiary, str(person_id), command, causation)
