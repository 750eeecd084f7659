"""What every aid route needs: the operator key, the pool, the store, and the one way to run a
POST once per Idempotency-Key. A refusal by a rule is an answer too: it is remembered with the
key, so a retry of a refused request is refused the same way and never issues by surprise;
only "aid does not know this person yet" is not remembered, as it passes by itself."""

from __future__ import annotations

from typing import Any

import asyncpg
from fastapi import Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from services.aid.domain.rules import Refused, Rule
from shared.decider import DomainError
from shared.eventstore import EventStore
from shared.http import (
    ApiKeyHeader,
    IdempotencyKeyHeader,
    Problem,
    Work,
    once_per_key,
    require_operator,
    stored_answer,
)

#: problem type of a request refused by a rule of the domain
REFUSED = "urn:resettle:problem:aid:refused"


def operator_only(request: Request, api_key: ApiKeyHeader = None) -> None:
    require_operator(request.app.state.runtime.settings.operator_api_key, api_key)


def pool_of(request: Request) -> asyncpg.Pool:
    pool: asyncpg.Pool = request.app.state.runtime.pool
    return pool


def store_of(request: Request) -> EventStore:
    store: EventStore = request.app.state.store
    return store


IdempotencyKey = IdempotencyKeyHeader
OPERATOR = [Depends(operator_only)]


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


async def answer(request: Request, key: str, body: BaseModel | None, work: Work) -> JSONResponse:
    """Run a POST's work once per key, in one transaction; map refusals to problem details."""

    async def decided(conn: asyncpg.Connection) -> tuple[int, Any]:
        try:
            async with conn.transaction():  # a savepoint: a refusal leaves no event behind
                return await work(conn)
        except Refused as error:
            problem = refusal(error)
            if error.rule in (Rule.NOT_REGISTERED, Rule.NO_CONSENT):
                # aid may learn of the person (or of their consent) any second: a retry with
                # this key decides again
                raise Problem(
                    422, problem["title"], problem["detail"], kind=REFUSED, rule=problem["rule"],
                    next_eligible_at=None,
                ) from error  # fmt: skip
            return 422, problem
        except DomainError as error:
            return 422, refusal(error)

    outcome = await once_per_key(pool_of(request), "operator", key, request, body, decided)
    return stored_answer(outcome.status_code, outcome.response)
