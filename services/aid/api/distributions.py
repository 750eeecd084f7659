"""Issue an item to a person (for their household when it counts per household), and what a
person got, what they are entitled to, and when they may have each item next."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from services.aid.api.deps import (
    IdempotencyKey,
    SiteOrOperator,
    answer,
    pool_of,
    store_of,
)
from services.aid.api.stock import REFUSALS, Site
from services.aid.app import distributions
from services.aid.queries import entitlements
from shared.http import Problem, examples
from shared.schemas.aid import AidItem

#: the operator, and each distribution site for itself (deps.SITE_MAY)
router = APIRouter(prefix="/v1", tags=["distributions"])


class DistributionRequest(BaseModel):
    model_config = examples(
        {"person_id": "7d1c3f9e-3b1a-4c55-9e43-2f4b8f0f6a11", "item": "food_parcel",
         "site_id": "atameken-camp", "quantity": 1}
    )  # fmt: skip

    person_id: UUID = Field(description="The person at the counter (pseudonymous id).")
    item: AidItem
    site_id: Site
    quantity: int = Field(default=1, ge=1, le=100)


@router.post(
    "/distributions",
    status_code=201,
    responses={
        **REFUSALS,
        422: {
            "description": "Refused: the problem names the rule (`rule`) and when the person "
            "is next eligible (`next_eligible_at`, null when time alone will not help); or a "
            "field is invalid."
        },
    },
)
async def post_distribution(
    body: DistributionRequest, request: Request, key: IdempotencyKey, caller: SiteOrOperator
) -> JSONResponse:
    """Issue an item at a site: issued (201), or refused by a rule (422). The rules hold across
    all sites, also when two sites issue to the same person at the same moment. A site's key
    issues at its own site only (403 elsewhere)."""
    if caller.site_id is not None and body.site_id != caller.site_id:
        raise Problem(
            403,
            "Another site",
            f"The key of site {caller.site_id!r} issues aid there only, not at "
            f"{body.site_id!r}: use that site's key, or the operator key.",
            errors=[{"pointer": "#/site_id", "detail": f"must be {caller.site_id!r}"}],
        )

    async def work(conn: asyncpg.Connection) -> tuple[int, Any]:
        issued = await distributions.issue_aid(
            conn, store_of(request), **body.model_dump(), now=datetime.now(UTC),
            actor=caller.actor,
        )  # fmt: skip
        return 201, issued.as_json()

    return await answer(request, key, body, work, caller.actor)


@router.get("/entitlements/{person_id}")
async def get_entitlements(person_id: UUID, request: Request, _: SiteOrOperator) -> dict[str, Any]:
    """Where the person stands with housing (`residency`: a place `held`, `checked_in`, or
    `none`; `resident` is true once checked in), what they are entitled to, what they got and
    when, and for each item whether they may have it now or when next (and which rule waits)."""
    async with pool_of(request).acquire() as conn:
        found = await entitlements(conn, person_id, datetime.now(UTC))
    if found is None:
        raise Problem(404, "Unknown person", f"Aid knows no person {person_id} (yet).")
    return found
