"""Where the people of an arrival sleep, as housing has told intake: for the partner that
registered them (and its volunteers' devices), and operators."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request

from services.intake.api.deps import CurrentPartner, pool_of
from services.intake.case_queries import registered_by
from services.intake.partners import Scope
from services.intake.placements import placement_of_arrival
from shared.http import Problem

router = APIRouter(prefix="/v1", tags=["arrivals"])


@router.get("/arrivals/{arrival_id}/placement")
async def get_placement(arrival_id: UUID, request: Request, partner: CurrentPartner) -> Any:
    """Per person of the arrival: held (shelter, unit, place, hold until), checked in, waiting
    for a place, released, not_housed (they withdrew their consent to housing), erased, or
    pending (housing has not decided yet). `complete` once housing decided for everyone."""
    partner.require(Scope.READ_OWN_CASES)
    async with pool_of(request).acquire() as conn:
        if not await registered_by(conn, partner, arrival_id):
            raise Problem(404, "No such case", f"No case {arrival_id} is registered by you.")
        people: list[dict[str, Any]] = await placement_of_arrival(conn, arrival_id)
    complete = all(person["status"] != "pending" for person in people)
    return {"arrival_id": str(arrival_id), "complete": complete, "people": people}
