"""What every aid route needs: who calls (the operator, or a distribution site), the pool, the
store, and aid's words for a refusal; a POST runs once per Idempotency-Key through
shared/idempotent_post.py, whose rule keeps a refusal with its key (only "aid does not know this
person, or their consent, yet" is decided again: ``Refused.final``).

Two kinds of key: the operator key (the coordination centre) may do everything; a site's key
(AID_SITE_API_KEYS) may issue aid at its own site, find a person by their slip code and read
their entitlements, nothing else: it is typed on a counter's tablet, so it must not open
support requests, offers, stock or reports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from services.aid.domain.rules import Refused
from shared.decision import DomainError
from shared.http import (
    ApiKeyHeader,
    IdempotencyKeyHeader,
    Problem,
    keys_match,
    require_operator,
)
from shared.http import pool_of as pool_of  # the routes take the pool and store from here
from shared.http import store_of as store_of
from shared.idempotent_post import IdempotentPost, Work

#: problem type of a request refused by a rule of the domain
REFUSED = "urn:resettle:problem:aid:refused"


#: what a site's key may call, named in every refusal of another route
SITE_MAY = (
    "POST /v1/distributions at its own site, GET /v1/entitlements/{person_id} and "
    "GET /v1/slips/{code}"
)


@dataclass(frozen=True)
class Caller:
    """Who sent the request: the operator, or the staff of one distribution site."""

    site_id: str | None = None

    @property
    def actor(self) -> str:
        """How events and idempotency records name them."""
        return "operator" if self.site_id is None else f"site:{self.site_id}"


async def site_or_operator(request: Request, api_key: ApiKeyHeader = None) -> Caller:
    # async, though it awaits nothing: FastAPI runs a plain def dependency in a worker thread,
    # a hand-off that cost every counter's request more than the check itself
    settings = request.app.state.runtime.settings
    if api_key:
        for site_id, key in settings.site_api_keys.items():
            if keys_match(api_key, key):
                return Caller(site_id)
    require_operator(settings.operator_api_key, api_key)  # 401 unless it is the operator's
    return Caller()


async def operator_only(request: Request, api_key: ApiKeyHeader = None) -> None:
    caller = await site_or_operator(request, api_key)
    if caller.site_id is not None:
        raise Problem(
            403,
            "Operator key needed",
            f"This route needs the operator key (X-API-Key). The key of site "
            f"{caller.site_id!r} may only call {SITE_MAY}.",
        )


IdempotencyKey = IdempotencyKeyHeader
OPERATOR = [Depends(operator_only)]
SiteOrOperator = Annotated[Caller, Depends(site_or_operator)]


def refusal(error: DomainError) -> dict[str, Any]:
    """RFC 9457 body of a refusal; a rule's refusal names the rule and when it passes."""
    body: dict[str, Any] = {"type": REFUSED, "status": 422, "detail": str(error)}
    if isinstance(error, Refused):
        next_at = error.next_eligible_at
        body.update(
            title=f"Refused: {error.rule.value}",
            rule=error.rule.value,
            next_eligible_at=next_at.isoformat() if next_at else None,
        )
    else:
        body.update(title="Refused", rule=None, next_eligible_at=None)
    return body


#: a refusal names its rule and when it passes (``refusal``)
POST_ONCE = IdempotentPost(refusal)


async def answer(
    request: Request, key: str, body: BaseModel | None, work: Work, actor: str = "operator"
) -> JSONResponse:
    """Run a POST's work once per (caller, key): a site is never given another's answer."""
    return await POST_ONCE.answer(request, actor, key, body, work)
