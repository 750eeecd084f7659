"""What every intake route needs: the caller, the pool, the store, the vault; a POST runs once
per (partner, Idempotency-Key) through shared/idempotent_post.py."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import JSONResponse
from opentelemetry import trace
from pydantic import BaseModel

from services.intake.app import InvalidCorrection
from services.intake.devices import device_partner
from services.intake.partners import Partner, Scope, authenticate
from services.intake.vault import Vault
from shared.http import ApiKeyHeader, IdempotencyKeyHeader, Problem, stored_answer
from shared.http import pool_of as pool_of  # the routes take the pool and store from here
from shared.http import store_of as store_of
from shared.idempotency import StoredAnswer
from shared.idempotent_post import AnyWork, IdempotentPost


def vault_of(request: Request) -> Vault:
    vault: Vault = request.app.state.vault
    return vault


async def current_partner(request: Request, api_key: ApiKeyHeader = None) -> Partner:
    async with pool_of(request).acquire() as conn:
        device = await device_partner(conn, api_key)
        if device is not None:
            trace.get_current_span().set_attribute("resettle.device_id", str(device.device_id))
            return device
        return await authenticate(
            conn, api_key, request.app.state.runtime.settings.operator_api_key
        )


def operator(partner: Annotated[Partner, Depends(current_partner)]) -> Partner:
    partner.require(Scope.OPERATOR)
    return partner


CurrentPartner = Annotated[Partner, Depends(current_partner)]
Operator = Annotated[Partner, Depends(operator)]
IdempotencyKey = IdempotencyKeyHeader
POST_ONCE = IdempotentPost()


async def once(
    request: Request, partner: Partner, key: str, body: BaseModel | None, work: AnyWork
) -> StoredAnswer:
    """Run a POST's work once per (caller, key); an invalid correction is a 422 naming the
    field, not kept with the key (nothing was decided)."""
    try:
        return await POST_ONCE.once(request, partner.partner_id, key, body, work)
    except InvalidCorrection as error:
        raise Problem(
            422,
            "Invalid correction",
            f"The corrected value is invalid: {error}",
            errors=[
                {
                    "pointer": "#/value" + "".join(f"/{part}" for part in issue["loc"][1:]),
                    "detail": issue["msg"],
                }
                for issue in error.errors
            ],
        ) from error


async def answer(
    request: Request, partner: Partner, key: str, body: BaseModel | None, work: AnyWork
) -> JSONResponse:
    outcome = await once(request, partner, key, body, work)
    return stored_answer(outcome.status_code, outcome.response, replayed=outcome.replayed)
