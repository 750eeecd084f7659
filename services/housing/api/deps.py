"""What every housing route needs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import asyncpg
from fastapi import Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from services.housing.placing import Holds
from shared.decision import DomainError
from shared.eventstore import EventStore
from shared.http import (
    ApiKeyHeader,
    IdempotencyKeyHeader,
    Problem,
    keys_match,
    once_per_key,
    require_operator,
    stored_answer,
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


IdempotencyKey = IdempotencyKeyHeader


async def answer(
    request: Request,
    key: str,
    body: BaseModel | None,
    work: Callable[[asyncpg.Connection], Awaitable[tuple[int, Any]]],
    actor: str = "operator",
) -> JSONResponse:
    """Run a POST once per (actor, key) and map refusals to problem details. Keys are kept
    per actor: a key shared with another shelter's staff must not replay their answer."""
    try:
        outcome = await once_per_key(pool_of(request), actor, key, request, body, work)
    except DomainError as error:
        raise Problem(422, "Refused", str(error)) from error
    return stored_answer(outcome.status_code, outcome.response)
