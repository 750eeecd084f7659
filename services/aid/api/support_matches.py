"""The matches aid proposes between support requests and offers, and their steps: accepted
(one of the offer's places held), done, withdrawn."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import partial
from typing import Annotated, Any, Literal
from uuid import UUID

import asyncpg
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from services.aid.api.deps import OPERATOR, IdempotencyKey, answer, pool_of, store_of
from services.aid.api.stock import REFUSALS
from services.aid.app import support
from services.aid.domain.support_request import MatchWithdrawalReason
from services.aid.support_queries import match, matches
from shared.eventstore import EventStore
from shared.http import Problem

router = APIRouter(prefix="/v1", dependencies=OPERATOR, tags=["support"])


class MatchWithdrawal(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: MatchWithdrawalReason = "declined"


@router.get("/matches")
async def get_matches(
    request: Request,
    status: Annotated[
        list[Literal["proposed", "accepted", "done", "withdrawn"]] | None, Query()
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[dict[str, Any]]:
    """Matches between requests and offers; by default the proposed and accepted ones."""
    wanted = status or ["proposed", "accepted"]
    async with pool_of(request).acquire() as conn:
        return await matches(conn, wanted, limit)


#: one step of a match, as the application takes it (accept, complete, withdraw)
Step = Callable[[asyncpg.Connection, EventStore, UUID, datetime], Awaitable[None]]


async def _match_step(
    request: Request, match_id: UUID, key: str, step: Step, body: BaseModel | None = None
) -> JSONResponse:
    """Take the step once per Idempotency-Key; the answer is the match as it stands after it
    (404 for a match never proposed)."""
    store, now = store_of(request), datetime.now(UTC)

    async def work(conn: asyncpg.Connection) -> tuple[int, Any]:
        if await match(conn, match_id) is None:
            raise Problem(404, "No such match", f"No match {match_id} was proposed.")
        await step(conn, store, match_id, now)
        return 200, await match(conn, match_id)

    return await answer(request, key, body, work)


@router.post("/matches/{match_id}/acceptance", status_code=200, responses=REFUSALS)
async def post_acceptance(match_id: UUID, request: Request, key: IdempotencyKey) -> JSONResponse:
    """The person and the partner agree: the match holds one of the offer's places."""
    return await _match_step(request, match_id, key, support.accept_match)


@router.post("/matches/{match_id}/completion", status_code=200, responses=REFUSALS)
async def post_completion(match_id: UUID, request: Request, key: IdempotencyKey) -> JSONResponse:
    """The ride was taken, the job started: the match and its request are done."""
    return await _match_step(request, match_id, key, support.complete_match)


@router.post("/matches/{match_id}/withdrawal", status_code=200, responses=REFUSALS)
async def post_match_withdrawal(
    match_id: UUID, body: MatchWithdrawal, request: Request, key: IdempotencyKey
) -> JSONResponse:
    """The match will not go ahead (declined, or other); its place, if held, is free again."""
    withdraw = partial(support.withdraw_match, reason=body.reason)
    return await _match_step(request, match_id, key, withdraw, body)
