"""The coordination centre manages partners and their keys."""

from __future__ import annotations

import json
from typing import Any

import asyncpg
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from services.intake.api.deps import IdempotencyKey, Operator, answer
from services.intake.partners import Scope, create_partner, partner_exists, revoke, rotate_key
from services.intake.requests import NewPartner
from shared.http import Problem

router = APIRouter(prefix="/v1/partners", tags=["operators"])

KEY_NOTE = "The key is shown once, in the first answer; rotate the key if it was lost."


@router.post("", status_code=201)
async def post_partner(
    body: NewPartner, request: Request, operator: Operator, key: IdempotencyKey
) -> JSONResponse:
    """Register a partner organisation; the answer holds its API key, once."""

    async def work(conn: asyncpg.Connection) -> tuple[int, Any]:
        if await partner_exists(conn, body.partner_id):
            raise Problem(409, "Partner exists", f"{body.partner_id!r} exists; rotate its key.")
        api_key = await create_partner(
            conn, body.partner_id, body.name, {Scope(scope) for scope in body.scopes}
        )
        request.state.shown_key = api_key
        # what a retry gets back: never the key itself, which is stored only hashed
        return 201, {"partner_id": body.partner_id, "api_key": None, "note": KEY_NOTE}

    return await _with_key_once(request, answer(request, operator, key, body, work))


@router.post("/{partner_id}/key-rotation")
async def post_rotation(
    partner_id: str, request: Request, operator: Operator, key: IdempotencyKey
) -> JSONResponse:
    """A new key for the partner; the old one stops working at once."""

    async def work(conn: asyncpg.Connection) -> tuple[int, Any]:
        api_key = await rotate_key(conn, partner_id)
        if api_key is None:
            raise Problem(404, "No such partner", f"No partner {partner_id!r}.")
        request.state.shown_key = api_key
        return 200, {"partner_id": partner_id, "api_key": None, "note": KEY_NOTE}

    return await _with_key_once(request, answer(request, operator, key, None, work))


@router.post("/{partner_id}/revocation")
async def post_revocation(
    partner_id: str, request: Request, operator: Operator, key: IdempotencyKey
) -> JSONResponse:
    """The partner's key stops working (rotate to give it a new one)."""

    async def work(conn: asyncpg.Connection) -> tuple[int, Any]:
        if not await revoke(conn, partner_id):
            raise Problem(404, "No such partner", f"No partner {partner_id!r}.")
        return 200, {"partner_id": partner_id, "revoked": True}

    return await answer(request, operator, key, None, work)


async def _with_key_once(request: Request, pending: Any) -> JSONResponse:
    """Put the new key into the first answer only; the stored answer never holds it."""
    request.state.shown_key = None
    response: JSONResponse = await pending
    shown = request.state.shown_key
    if shown is not None:
        content = json.loads(bytes(response.body))
        content["api_key"] = shown
        content.pop("note", None)
        return JSONResponse(content, status_code=response.status_code)
    return response
