"""The crossing points arrivals may name: partners read the list, operators add to it."""

from __future__ import annotations

from typing import Any

import asyncpg
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from services.intake import crossing_points
from services.intake.api.deps import CurrentPartner, IdempotencyKey, Operator, answer, pool_of
from services.intake.requests import Text
from shared.http import Problem, RequestBody, examples
from shared.schemas.intake import CrossingPointCode

router = APIRouter(prefix="/v1/crossing-points", tags=["crossing points"])


class NewCrossingPoint(RequestBody):
    """A border crossing point arrivals may name, added by the coordination centre."""

    model_config = examples({"code": "syrym", "name": "Syrym (Mashtakovo)"})

    code: CrossingPointCode = Field(
        description="What arrivals name and intake.events.v2 carries: lowercase letters, digits "
        "and hyphens, 2 to 40, starting with a letter."
    )
    name: Text = Field(description="Its name for people; stays in intake.")


@router.get("")
async def get_crossing_points(request: Request, _: CurrentPartner) -> list[dict[str, Any]]:
    """The codes an arrival's ``crossing_point`` may name, with their names."""
    async with pool_of(request).acquire() as conn:
        return await crossing_points.listed(conn)


@router.post(
    "", status_code=201, tags=["operators"], responses={409: {"description": "The code exists."}}
)
async def post_crossing_point(
    body: NewCrossingPoint, request: Request, operator: Operator, key: IdempotencyKey
) -> JSONResponse:
    """Add a crossing point arrivals may name from now on (codes are never removed: events
    name them)."""

    async def work(conn: asyncpg.Connection) -> tuple[int, Any]:
        if not await crossing_points.add(conn, body.code, body.name, operator.actor):
            raise Problem(409, "Crossing point exists", f"{body.code!r} is on the list already.")
        return 201, {"code": body.code, "name": body.name}

    return await answer(request, operator, key, body, work)
