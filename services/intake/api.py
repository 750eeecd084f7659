"""Intake's HTTP API for partners: register arrivals, read their own cases."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

import asyncpg
from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse

from services.intake.app import read_case, register_arrival
from services.intake.partners import Partner, Scope, authenticate
from services.intake.requests import ArrivalAccepted, ArrivalRequest
from shared.decider import DomainError
from shared.eventstore import EventStore
from shared.http import ApiKeyHeader, Problem
from shared.idempotency import (
    MAX_KEY_LENGTH,
    KeyReusedWithOtherRequest,
    request_fingerprint,
    run_once,
)

router = APIRouter(prefix="/v1")


def pool_of(request: Request) -> asyncpg.Pool:
    pool: asyncpg.Pool = request.app.state.runtime.pool
    return pool


async def current_partner(request: Request, api_key: ApiKeyHeader = None) -> Partner:
    async with pool_of(request).acquire() as conn:
        return await authenticate(conn, api_key)


CurrentPartner = Annotated[Partner, Depends(current_partner)]
IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=MAX_KEY_LENGTH,
        description="A key of your choice per request; a retry with the same key and body "
        "returns the first answer and creates nothing new.",
    ),
]


@router.post(
    "/arrivals",
    status_code=201,
    response_model=ArrivalAccepted,
    responses={
        409: {"description": "The Idempotency-Key was used for another request."},
        422: {"description": "A field is invalid; the problem names it."},
    },
)
async def post_arrival(
    body: ArrivalRequest,
    request: Request,
    partner: CurrentPartner,
    idempotency_key: IdempotencyKey,
) -> Any:
    """Register one person, or a group travelling together, in one call."""
    partner.require(Scope.REGISTER_ARRIVALS)
    store: EventStore = request.app.state.store
    fingerprint = request_fingerprint("POST", "/v1/arrivals", body.model_dump(mode="json"))

    async def work(conn: asyncpg.Connection) -> tuple[int, Any]:
        accepted = await register_arrival(conn, store, partner, body, datetime.now(UTC))
        return 201, accepted.model_dump(mode="json")

    try:
        status, answer = await run_once(
            pool_of(request), partner.partner_id, idempotency_key, fingerprint, work
        )
    except KeyReusedWithOtherRequest as error:
        raise Problem(
            409,
            "Idempotency-Key reused",
            f"The key {str(error)!r} was already used for a different request body. "
            "Use a new key for a new request; resend the same body to retry.",
        ) from error
    except DomainError as error:
        raise Problem(422, "Arrival refused", str(error)) from error
    return JSONResponse(answer, status_code=status)


@router.get("/arrivals/{arrival_id}")
async def get_arrival(arrival_id: UUID, request: Request, partner: CurrentPartner) -> Any:
    """A case you registered (operators: any case). Another partner's case answers 404."""
    partner.require(Scope.READ_OWN_CASES)
    async with pool_of(request).acquire() as conn:
        case = await read_case(conn, partner, arrival_id)
    if case is None:
        raise Problem(404, "No such case", f"No case {arrival_id} is registered by you.")
    return case
