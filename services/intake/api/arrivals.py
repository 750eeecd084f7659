"""Partners register arrivals, one at a time or in batches collected offline."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

import asyncpg
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import AfterValidator, ValidationError

from services.intake import crossing_points
from services.intake.api.deps import (
    CurrentPartner,
    IdempotencyKey,
    KnownPartner,
    answer,
    authenticated_again,
    once,
    pool_of,
    store_of,
    vault_of,
)
from services.intake.app import UnknownCrossingPoint, register_arrival
from services.intake.known_keys import KeyNoLongerValid
from services.intake.partners import Partner, Scope, unknown_key
from services.intake.queries import list_cases, read_case
from services.intake.requests import ArrivalAccepted, ArrivalRequest, BatchItem, BatchRequest
from shared.http import Problem, json_pointer
from shared.idempotency import Claim, ClaimingWork, StoredAnswer
from shared.ratelimit import charge

router = APIRouter(prefix="/v1", tags=["arrivals"])
#: batch items handled at once: enough to overlap I/O, few enough for a small pool
BATCH_CONCURRENCY = 4


def _registration(
    request: Request, partner: Partner, body: ArrivalRequest, where: str = "#"
) -> ClaimingWork:
    async def work(conn: asyncpg.Connection, claim: Claim) -> StoredAnswer:
        try:
            return await register_arrival(
                conn, store_of(request), vault_of(request), partner, body, datetime.now(UTC), claim
            )
        except UnknownCrossingPoint as error:
            raise Problem(
                422,
                "Unknown crossing point",
                f"The crossing point is not on the list; {crossing_points.LISTED_AT} lists "
                f"the codes an arrival may name.",
                errors=[crossing_points.unknown_code_error(
                    f"{where}/crossing_point", body.crossing_point)],
            ) from error  # fmt: skip

    return ClaimingWork(work)


@router.post(
    "/arrivals",
    status_code=201,
    response_model=ArrivalAccepted,
    responses={
        409: {"description": "The Idempotency-Key was used for another request."},
        422: {
            "description": "A field is invalid, or the crossing point is not on the list "
            "(GET /v1/crossing-points); the problem names the field."
        },
    },
)
async def post_arrival(
    body: ArrivalRequest, request: Request, partner: KnownPartner, key: IdempotencyKey
) -> JSONResponse:
    """Register one person, or a group travelling together, in one call. Each person costs
    one request of your rate limit."""
    partner.require(Scope.REGISTER_ARRIVALS)
    charge(request, len(body.members) - 1)  # the request itself took one
    try:
        return await answer(request, partner, key, body, _registration(request, partner, body))
    except KeyNoLongerValid:  # the kept key was revoked or changed: nothing was written
        partner = await authenticated_again(request)  # a revoked key: 401 here
    partner.require(Scope.REGISTER_ARRIVALS)
    try:
        return await answer(request, partner, key, body, _registration(request, partner, body))
    except KeyNoLongerValid as error:  # revoked between its lookup and its work
        raise unknown_key() from error


@router.post("/arrival-batches", status_code=200)
async def post_batch(body: BatchRequest, request: Request, partner: CurrentPartner) -> Any:
    """Up to 1,000 arrivals collected offline, each with its own idempotency key. Each item is
    created, already known (a retry), or rejected with its reasons; one bad item does not
    reject the others. Each person an item carries costs one request of your rate limit."""
    partner.require(Scope.REGISTER_ARRIVALS)
    charge(request, sum(_people_in(item) for item in body.items) - 1)
    keys = [item.idempotency_key for item in body.items]
    if len(set(keys)) != len(keys):
        raise Problem(422, "Repeated idempotency keys", "Each item needs a key of its own.")
    gate = asyncio.Semaphore(BATCH_CONCURRENCY)

    async def one(index: int, item: BatchItem) -> dict[str, Any]:
        result: dict[str, Any] = {"index": index, "idempotency_key": item.idempotency_key}
        try:
            arrival = ArrivalRequest.model_validate(item.arrival)
        except ValidationError as error:
            errors = [
                {"pointer": json_pointer(("items", index, "arrival", *issue["loc"])),
                 "detail": issue["msg"]}
                for issue in error.errors(include_url=False)
            ]  # fmt: skip
            return {**result, "status": "rejected", "errors": errors}
        async with gate:
            try:
                outcome = await once(
                    request, partner, item.idempotency_key, arrival,
                    _registration(request, partner, arrival, f"#/items/{index}/arrival"),
                )  # fmt: skip
            except Problem as problem:
                errors = problem.extra.get("errors") or [{"detail": problem.detail}]
                return {**result, "status": "rejected", "errors": errors}
            except KeyNoLongerValid:  # revoked while the batch ran: this item is not written
                errors = [{"detail": unknown_key().detail}]
                return {**result, "status": "rejected", "errors": errors}
        if outcome.status_code >= 400:  # a refusal kept with the key, or its person erased since
            return {
                **result,
                "status": "rejected",
                "errors": [{"detail": outcome.response["detail"]}],
            }
        status = "already_known" if outcome.replayed else "created"
        return {**result, "status": status, **outcome.response}

    results = await asyncio.gather(*(one(i, item) for i, item in enumerate(body.items)))
    counts = {status: 0 for status in ("created", "already_known", "rejected")}
    for result in results:
        counts[result["status"]] += 1
    return {"counts": counts, "items": results}


def _storable(moment: datetime | None) -> datetime | None:
    """A moment Postgres can compare (years 1-9999 in UTC too): 9999-12-31T23:59-14:00 is not."""
    if moment is not None and not 1 < moment.year < 9999:
        raise ValueError("give a moment between the years 2 and 9998")
    return moment


def _people_in(item: BatchItem) -> int:
    """The people an item carries, counted before it is validated: a rejected item was work too."""
    members = item.arrival.get("members")
    return max(1, len(members)) if isinstance(members, list) else 1


@router.get("/arrivals")
async def get_arrivals(
    request: Request,
    partner: CurrentPartner,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    before: Annotated[
        datetime | None,
        AfterValidator(_storable),
        Query(description="registered_at of the last case of the previous page"),
    ] = None,
) -> list[dict[str, Any]]:
    """The cases you registered, newest first (operators: every case)."""
    partner.require(Scope.READ_OWN_CASES)
    async with pool_of(request).acquire() as conn:
        return await list_cases(conn, partner, limit, before)


@router.get("/arrivals/{arrival_id}")
async def get_arrival(arrival_id: UUID, request: Request, partner: CurrentPartner) -> Any:
    """A case you registered (operators: any case). Another partner's case answers 404."""
    partner.require(Scope.READ_OWN_CASES)
    async with pool_of(request).acquire() as conn:
        case = await read_case(conn, vault_of(request), partner, arrival_id)
    if case is None:
        raise Problem(404, "No such case", f"No case {arrival_id} is registered by you.")
    return case
