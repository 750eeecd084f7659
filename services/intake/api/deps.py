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
from services.intake.known_keys import KnownKeys
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
    """The partner (or device) the key authenticates, looked up in the database."""
    async with pool_of(request).acquire() as conn:
        device = await device_partner(conn, api_key)
        if device is not None:
            trace.get_current_span().set_attribute("resettle.device_id", str(device.device_id))
            return device
        return await authenticate(
            conn, api_key, request.app.state.runtime.settings.operator_api_key
        )


async def known_partner(request: Request, api_key: ApiKeyHeader = None) -> Partner:
    """The partner the key authenticated a moment ago, without a round trip; else looked up.
    Only for work that checks the key again in its own transaction (known_keys.py)."""
    known: KnownKeys = request.app.state.known_keys
    partner = known.partner(api_key) if api_key else None
    if partner is None:
        partner = await current_partner(request, api_key)
        if api_key:
            known.remember(api_key, partner)
    elif partner.device_id is not None:
        trace.get_current_span().set_attribute("resettle.device_id", partner.device_id)
    return partner


async def authenticated_again(request: Request) -> Partner:
    """After :class:`KeyNoLongerValid`: the kept key dropped and looked up afresh (a 401 if it
    was revoked; the partner as it now is if only its scopes changed)."""
    api_key = request.headers.get("x-api-key")
    if api_key:
        request.app.state.known_keys.forget(api_key)
    return await known_partner(request, api_key)


def operator(partner: Annotated[Partner, Depends(current_partner)]) -> Partner:
    partner.require(Scope.OPERATOR)
    return partner


CurrentPartner = Annotated[Partner, Depends(current_partner)]
#: for routes whose work checks the key again (an arrival): see known_partner
KnownPartner = Annotated[Partner, Depends(known_partner)]
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
    return stored_answer(
        outcome.status_code, outcome.response, replayed=outcome.replayed, text=outcome.text
    )
