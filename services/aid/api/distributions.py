"""Issue an item to a person (for their household when it counts per household), and what a
person got, what they are entitled to, and when they may have each item next."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from services.aid.api.deps import IdempotencyKey, SiteOrOperator, pool_of, refusal, store_of
from services.aid.api.stock import REFUSALS, Site
from services.aid.app.issue_groups import IssueRequest
from services.aid.app.issue_queue import IssueQueue
from services.aid.queries import entitlements
from shared.eventstore import Causation, event_metadata
from shared.http import Problem, examples, stored_answer
from shared.idempotency import Claim, Fingerprints, KeyReusedWithOtherRequest, ids_in
from shared.idempotent_post import key_reused
from shared.schemas.aid import AidItem

#: the operator, and each distribution site for itself (deps.SITE_MAY)
router = APIRouter(prefix="/v1", tags=["distributions"])


class DistributionRequest(BaseModel):
    model_config = examples(
        {"person_id": "7d1c3f9e-3b1a-4c55-9e43-2f4b8f0f6a11", "item": "food_parcel",
         "site_id": "atameken-camp", "quantity": 1}
    )  # fmt: skip

    person_id: UUID = Field(description="The person at the counter (pseudonymous id).")
    item: AidItem
    site_id: Site
    quantity: int = Field(default=1, ge=1, le=100)


@router.post(
    "/distributions",
    status_code=201,
    responses={
        **REFUSALS,
        422: {
            "description": "Refused: the problem names the rule (`rule`) and when the person "
            "is next eligible (`next_eligible_at`, null when time alone will not help); or a "
            "field is invalid."
        },
    },
)
async def post_distribution(
    body: DistributionRequest, request: Request, key: IdempotencyKey, caller: SiteOrOperator
) -> JSONResponse:
    """Issue an item at a site: issued (201), or refused by a rule (422). The rules hold across
    all sites, also when two sites issue to the same person at the same moment. A site's key
    issues at its own site only (403 elsewhere)."""
    if caller.site_id is not None and body.site_id != caller.site_id:
        raise Problem(
            403,
            "Another site",
            f"The key of site {caller.site_id!r} issues aid there only, not at "
            f"{body.site_id!r}: use that site's key, or the operator key.",
            errors=[{"pointer": "#/site_id", "detail": f"must be {caller.site_id!r}"}],
        )

    issue = IssueRequest(
        _claim(request, caller.actor, key, body), body.person_id, body.item, body.quantity,
        body.site_id, caller.actor, datetime.now(UTC), event_metadata(Causation.new()),
    )  # fmt: skip
    try:
        outcome = await issue_queue(request).issue(issue)
    except KeyReusedWithOtherRequest as error:
        raise key_reused(error) from error
    return stored_answer(outcome.status_code, outcome.response, replayed=outcome.replayed)


def _claim(request: Request, client_id: str, key: str, body: DistributionRequest) -> Claim:
    """The key's claim as shared.idempotent_post makes it: keyed per client, its fingerprint
    under the service's secret, and the ids the request and its answer carry."""
    sent = body.model_dump(mode="json")
    path = request.url.path
    fingerprints: Fingerprints = request.app.state.runtime.fingerprints
    fingerprint = fingerprints.of(client_id, request.method, path, sent)
    return Claim(client_id, key, fingerprint, lambda answer: ids_in(path, sent, answer))


def issue_queue(request: Request) -> IssueQueue:
    """The process's queue of issues waiting for their stocks, made at the first issue (the
    pool exists only once the service started)."""
    state = request.app.state
    if not hasattr(state, "issue_queue"):
        state.issue_queue = IssueQueue(pool_of(request), store_of(request), refusal)
    queue: IssueQueue = state.issue_queue
    return queue


@router.get("/entitlements/{person_id}")
async def get_entitlements(person_id: UUID, request: Request, _: SiteOrOperator) -> dict[str, Any]:
    """Where the person stands with housing (`residency`: a place `held`, `checked_in`, or
    `none`; `resident` is true once checked in), what they are entitled to, what they got and
    when, and for each item whether they may have it now or when next (and which rule waits)."""
    async with pool_of(request).acquire() as conn:
        found = await entitlements(conn, person_id, datetime.now(UTC))
    if found is None:
        raise Problem(404, "Unknown person", f"Aid knows no person {person_id} (yet).")
    return found
