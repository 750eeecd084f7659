"""What every housing route needs: who calls (the operator, or a shelter partner's staff), the
pool, the store, the holds; a POST runs once per Idempotency-Key through
shared/idempotent_post.py."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from services.housing.arrival_run import Holds
from shared.http import ApiKeyHeader, IdempotencyKeyHeader, Problem, keys_match, require_operator
from shared.http import pool_of as pool_of  # the routes take the pool and store from here
from shared.http import store_of as store_of
from shared.idempotent_post import IdempotentPost, Work


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


def holds_of(request: Request) -> Holds:
    holds: Holds = request.app.state.holds
    return holds


IdempotencyKey = IdempotencyKeyHeader


POST_ONCE = IdempotentPost()


async def answer(
    request: Request, key: str, body: BaseModel | None, work: Work, actor: str = "operator"
) -> JSONResponse:
    """Run a POST once per (actor, key). Keys are kept per actor: a key shared with another
    shelter's staff must not replay their answer."""
    return await POST_ONCE.answer(request, actor, key, body, work)
