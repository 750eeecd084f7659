"""A person's record: read it, give or withdraw consent, correct it, register a departure;
operators search, merge duplicates (and undo), erase."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import asyncpg
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from services.intake import app
from services.intake.api.deps import (
    CurrentPartner,
    IdempotencyKey,
    Operator,
    answer,
    pool_of,
    store_of,
    vault_of,
)
from services.intake.partners import Partner, Scope
from services.intake.queries import (
    Grouping,
    arrival_statistics,
    hide_unknown_merges,
    may_change_person,
    may_read_person,
    open_duplicates,
    read_person,
    search_persons,
)
from services.intake.requests import (
    ConsentChange,
    Correction,
    Departure,
    Erasure,
    MergeRequest,
    PersonSearch,
)
from services.intake.statistics import as_hxl_csv
from shared.http import Problem
from shared.idempotent_post import Work

router = APIRouter(prefix="/v1", tags=["persons"])


def _not_found(person_id: UUID) -> Problem:
    return Problem(404, "No such person", f"No person {person_id} is registered by you.")


def _changed(count: int) -> tuple[int, Any]:
    return 200, {"recorded_events": count, "changed": count > 0}


async def _change(
    request: Request, partner: Partner, person_id: UUID, key: str, body: Any, work: Work
) -> JSONResponse:
    async def guarded(conn: asyncpg.Connection) -> tuple[int, Any]:
        if not await may_change_person(conn, partner, person_id):
            raise _not_found(person_id)
        return await work(conn)

    return await answer(request, partner, key, body, guarded)


@router.get("/persons/{person_id}")
async def get_person(person_id: UUID, request: Request, partner: CurrentPartner) -> Any:
    """A person you registered, or one who agreed to share with you; with consents and the
    history of corrections."""
    partner.require(Scope.READ_OWN_CASES)
    async with pool_of(request).acquire() as conn:
        if not await may_read_person(conn, partner, person_id):
            raise _not_found(person_id)
        found = await read_person(conn, vault_of(request), store_of(request), person_id)
        return found and (await hide_unknown_merges(conn, partner, [found]))[0]


@router.post("/persons/{person_id}/consents")
async def post_consent(
    person_id: UUID,
    body: ConsentChange,
    request: Request,
    partner: CurrentPartner,
    key: IdempotencyKey,
) -> JSONResponse:
    """Give or withdraw a consent. A withdrawn sharing consent stops that partner's access."""

    async def work(conn: asyncpg.Connection) -> tuple[int, Any]:
        now = datetime.now(UTC)
        return _changed(await app.change_consent(conn, store_of(request), partner, person_id,
                                                 body, now))  # fmt: skip

    return await _change(request, partner, person_id, key, body, work)


@router.post("/persons/{person_id}/corrections")
async def post_correction(
    person_id: UUID,
    body: Correction,
    request: Request,
    partner: CurrentPartner,
    key: IdempotencyKey,
) -> JSONResponse:
    """Correct one field, with a reason. The earlier value stays in the history."""

    async def work(conn: asyncpg.Connection) -> tuple[int, Any]:
        count = await app.correct_details(
            conn, store_of(request), vault_of(request), partner, person_id, body,
            datetime.now(UTC),
        )  # fmt: skip
        return _changed(count)

    return await _change(request, partner, person_id, key, body, work)


@router.post("/persons/{person_id}/departure")
async def post_departure(
    person_id: UUID,
    body: Departure,
    request: Request,
    partner: CurrentPartner,
    key: IdempotencyKey,
) -> JSONResponse:
    """The person left: housing frees their bed, aid closes their entitlements."""

    async def work(conn: asyncpg.Connection) -> tuple[int, Any]:
        count = await app.register_departure(
            conn, store_of(request), partner, person_id, body.reason, datetime.now(UTC)
        )
        return _changed(count)

    return await _change(request, partner, person_id, key, body, work)


@router.post("/persons/{person_id}/erasure", tags=["operators"])
async def post_erasure(
    person_id: UUID, body: Erasure, request: Request, partner: Operator, key: IdempotencyKey
) -> JSONResponse:
    """Erase a person, and every record merged into them: their key is destroyed (their events
    stay, unreadable), every stored request that carried them is neutralised, and housing and
    aid forget their free text. The reason, if given, is not kept."""

    async def work(conn: asyncpg.Connection) -> tuple[int, Any]:
        count = await app.erase(
            conn, store_of(request), vault_of(request), person_id, datetime.now(UTC)
        )
        return _changed(count)

    return await _change(request, partner, person_id, key, body, work)


@router.post("/merges", tags=["operators"])
async def post_merge(
    body: MergeRequest, request: Request, partner: Operator, key: IdempotencyKey
) -> JSONResponse:
    """Two records are one person: the duplicate now stands for the kept one."""
    duplicate, kept = body.duplicate_person_id, body.kept_person_id

    async def work(conn: asyncpg.Connection) -> tuple[int, Any]:
        if not await may_change_person(conn, partner, kept):
            raise _not_found(kept)
        return _changed(await app.merge(conn, store_of(request), duplicate, kept,
                                        datetime.now(UTC)))  # fmt: skip

    return await _change(request, partner, duplicate, key, body, work)


@router.post("/merges/{duplicate_person_id}/undo", tags=["operators"])
async def post_merge_undo(
    duplicate_person_id: UUID, request: Request, partner: Operator, key: IdempotencyKey
) -> JSONResponse:
    """The merge was a mistake: the duplicate is a person of their own again."""

    async def work(conn: asyncpg.Connection) -> tuple[int, Any]:
        return _changed(
            await app.undo_merge(conn, store_of(request), duplicate_person_id, datetime.now(UTC))
        )

    return await _change(request, partner, duplicate_person_id, key, None, work)


@router.post("/person-searches", tags=["operators"])
async def post_person_search(
    body: PersonSearch, request: Request, partner: Operator
) -> list[dict[str, Any]]:
    """Search by name (Cyrillic or Latin, every word must match) or document number. A POST,
    so that names never appear in a URL, an access log or a span; it changes nothing."""
    if not (body.name or body.document):
        raise Problem(422, "Nothing to search for", "Give name, document, or both.")
    async with pool_of(request).acquire() as conn:
        return await search_persons(conn, vault_of(request), body.name, body.document, body.limit)


@router.get("/duplicates", tags=["operators"])
async def get_duplicates(
    request: Request, partner: Operator, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> list[dict[str, Any]]:
    """Likely duplicates flagged at registration and not yet resolved."""
    async with pool_of(request).acquire() as conn:
        return await open_duplicates(conn, limit)


@router.get(
    "/statistics/arrivals",
    tags=["operators"],
    response_class=Response,
    responses={
        200: {
            "description": "One row per day, crossing point or partner: people and arrivals. "
            "JSON: a list of objects; CSV: the HXL hashtag row under the header row.",
            "content": {"application/json": {}, "text/csv": {}},
        }
    },
)
async def get_statistics(
    request: Request,
    partner: Operator,
    by: Grouping = "day",
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> Response:
    """People and arrivals by day, crossing point or partner (those who agreed to statistics),
    as JSON or as HXL-tagged CSV."""
    async with pool_of(request).acquire() as conn:
        rows = await arrival_statistics(conn, by)
    if format == "json":
        return JSONResponse(rows)
    return Response(
        as_hxl_csv(by, rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="intake-arrivals-by-{by}.csv"'},
    )
