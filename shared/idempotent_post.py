"""The one way every service answers a POST that carries an Idempotency-Key, and the one rule
for a retry (docs/architecture.md, "Answering twice").

An Idempotency-Key names one decision. A retry with the same key and the same body gets the
answer the first request got, marked ``Idempotent-Replayed: true``, and changes nothing: a
success (2xx) and a refusal by a rule of the domain (422, a :class:`DomainError`) alike, so a
partner whose connection dropped learns what was decided instead of a second decision that
may differ (a parcel refused at noon and issued on the retry at 12:01). What was never a
decision is not kept, so the retry may succeed: a body refused before the work ran (422 on a
field), a problem the work raised about the request (401, 403, 404), a refusal that waits only
for news from another service (``DomainError.final`` is False), a conflict given up on (503),
a failure of ours (500), a database away, a timeout. The same key with another body is a 409.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg
from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from shared.decision import DomainError
from shared.http import Problem, pool_of, stored_answer
from shared.idempotency import (
    ClaimingWork,
    Fingerprints,
    KeyReusedWithOtherRequest,
    StoredAnswer,
    canonical_request,
    ids_in_text,
    record_answer,
    run_once,
)

#: a POST's work in the key's transaction: its status code and the answer's body
Work = Callable[[asyncpg.Connection], Awaitable[tuple[int, Any]]]
#: or work that claims its key in its own statements (shared.idempotency.ClaimingWork)
AnyWork = Work | ClaimingWork
#: the problem details (RFC 9457) a service answers a refusal with; ``status`` is its code
Refusal = Callable[[DomainError], dict[str, Any]]


def refused(error: DomainError) -> dict[str, Any]:
    """A refusal as problem details: the rule's own words as the detail."""
    return {"type": "about:blank", "title": "Refused", "status": 422, "detail": str(error)}


def key_reused(error: KeyReusedWithOtherRequest) -> Problem:
    """The 409 of a key sent again with another request."""
    return Problem(
        409,
        "Idempotency-Key reused",
        f"The key {str(error)!r} was already used for a different request body. "
        "Use a new key for a new request; resend the same body to retry.",
    )


@dataclass(frozen=True)
class IdempotentPost:
    """Runs a POST's work once per (client, Idempotency-Key) in the service's pool
    (``request.app.state.runtime.pool``), and answers refusals in the service's words."""

    refusal: Refusal = refused

    async def once(
        self, request: Request, client_id: str, key: str, body: BaseModel | None, work: AnyWork
    ) -> StoredAnswer:
        """The key's answer: the first, or the one now decided (``replayed`` says which).
        Keys are kept per client: one client is never given another's answer. The request's
        fingerprint is keyed with the service's secret, and the ids in its path, body and
        answer are kept with it, so an erasure finds it."""
        pool = pool_of(request)
        fingerprints: Fingerprints = request.app.state.runtime.fingerprints
        sent = body.model_dump(mode="json") if body else None
        # the request written once: fingerprinted, and searched for ids once
        canonical = canonical_request(request.method, request.url.path, sent)
        fingerprint = fingerprints.of_text(client_id, canonical)
        sent_ids = ids_in_text(canonical)

        def carried(answer: Any) -> list[UUID]:
            return ids_in_text(json.dumps(answer, default=str), sent_ids)

        try:
            try:
                return await run_once(pool, client_id, key, fingerprint, work, carried)
            except DomainError as error:  # the work's transaction is rolled back: nothing applied
                problem = self.refusal(error)
                if not error.final:
                    return StoredAnswer(problem["status"], problem, replayed=False)
                return await record_answer(
                    pool, client_id, key, fingerprint, problem["status"], problem,
                    carried(problem),
                )  # fmt: skip
        except KeyReusedWithOtherRequest as error:
            raise key_reused(error) from error

    async def answer(
        self, request: Request, client_id: str, key: str, body: BaseModel | None, work: AnyWork
    ) -> JSONResponse:
        """:meth:`once`, as the HTTP answer: a refusal as problem details, a replay marked."""
        outcome = await self.once(request, client_id, key, body, work)
        return stored_answer(outcome.status_code, outcome.response, replayed=outcome.replayed)
