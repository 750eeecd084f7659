"""The shelter desk of the field app: what the staff of the partner that runs a shelter see at
its door. Who is expected (held places), who stays, who is due out, and the free places; people
by their pseudonymous id only (the app shows the code of their arrival slip)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg
from fastapi import APIRouter, Request

from services.housing.api.deps import StaffActor, pool_of
from services.housing.api.placements import _runs_it
from services.housing.placement_queries import at_the_desk
from services.housing.queries import shelter_view
from shared.http import Problem

router = APIRouter(prefix="/v1", tags=["placements"])


def _person(row: asyncpg.Record) -> dict[str, Any]:
    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "person_id": str(row["person_id"]), "unit": row["unit"], "bed_number": row["bed_number"],
        "hold_until": iso(row["hold_until"]), "checked_in_at": iso(row["checked_in_at"]),
        "stay_ends": iso(row["stay_ends"]),
    }  # fmt: skip


@router.get("/shelters/{shelter_id}/desk")
async def get_desk(shelter_id: UUID, request: Request, actor: StaffActor) -> dict[str, Any]:
    """Staff of the shelter (or an operator): expected arrivals (held places), people staying,
    people whose maximum stay ends by the end of today (UTC), and free places now."""
    async with pool_of(request).acquire() as conn:
        await _runs_it(conn, actor, shelter_id)
        view = await shelter_view(conn, shelter_id)
        rows = await at_the_desk(conn, shelter_id)
    if view is None:
        raise Problem(404, "No such shelter", f"No shelter {shelter_id} is run by you.")
    end_of_today = datetime.combine(datetime.now(UTC).date() + timedelta(days=1),
                                    datetime.min.time(), UTC)  # fmt: skip
    staying = [row for row in rows if row["status"] == "checked_in"]
    return {
        "shelter_id": view["shelter_id"], "name": view["name"], "free": view["free"],
        "held": view["held"], "occupied": view["occupied"],
        "expected": [_person(row) for row in rows if row["status"] == "held"],
        "staying": [_person(row) for row in staying],
        "due_out": [_person(row) for row in staying
                    if row["stay_ends"] is not None and row["stay_ends"] <= end_of_today],
    }  # fmt: skip
