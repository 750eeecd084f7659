"""What every housing route needs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import asyncpg
from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from services.housing.app import Holds
from shared.decider import DomainError
from shared.eventstore import EventStore
from shared.http import ApiKeyHeader, Problem, keys_match, require_operator
from shared.idempotency import (
    MAX_KEY_LENGTH,
    KeyReusedWithOtherRequest,
    request_fingerprint,
    run_once,
)


def operator_only(request: Request, api_key: ApiKeyHeader = None) -> None:
    require_operator(request.app.state.runtime.settings.operator_api_key, api_key)


OperatorOnly = [Depends(operator_only)]


async def staff_or_operator(request: Request, api_key: ApiKeyHeader = None) -> str:
    """The operator, or staff of a partner that runs shelters: who, as events name them."""
    settings = request.app.state.runtime.settings
    if api_key and keys_match(api_key, settings.operator_api_key):
        return "operator"
    for partner_id, key in settings.staff_api_keys.items():
        if api_key and keys_match(api_key, key):
            return f"partner:{partner_id}"
    raise Problem(401, "Unknown API key", "Send a staff or operator key in X-API-Key.")


StaffActor = Annotated[str, Depends(staff_or_operator)]


def pool_of(request: Request) -> asyncpg.Pool:
    pool: asyncpg.Pool = request.app.state.runtime.pool
    return pool


def store_of(request: Request) -> EventStore:
    store: EventStore = request.app.state.store
    return store


def holds_of(request: Request) -> Holds:
    holds: Holds = request.app.state.holds
    return holds


IdempotencyKey = Annotated[
    str, Header(alias="Idempotency-Key", min_length=1, max_length=MAX_KEY_LENGTH)
]


async def answer(
    request: Request,
    key: str,
    body: BaseModel | None,
    work: Callable[[asyncpg.Connection], Awaitable[tuple[int, Any]]],
) -> JSONResponse:
    """Run a POST once per key and map refusals to problem details."""
    fingerprint = request_fingerprint(
        request.method, request.url.path, body.model_dump(mode="json") if body else None
    )
    try:
        outcome = await run_once(pool_of(request), "operator", key, fingerprint, work)
    except KeyReusedWithOtherRequest as error:
        raise Problem(
            409, "Idempotency-Key reused", "That key was used for another request; use a new key."
        ) from error
    except DomainError as error:
        raise Problem(422, "Refused", str(error)) from error
    return JSONResponse(outcome.response, status_code=outcome.status_code)
