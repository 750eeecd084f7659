"""Where people sleep: placements, the waitlist, check-in and out, moves, the due-out list."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal
from uuid import UUID

import asyncpg
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from services.housing import app
from services.housing.api.deps import (
    IdempotencyKey,
    OperatorOnly,
    StaffActor,
    answer,
    holds_of,
    pool_of,
    store_of,
)
from services.housing.domain.shelter import CheckOut
from services.housing.domain.waitlist_order import position_on_waitlist, waitlist_order
from services.housing.placement_queries import (
    due_out,
    known_placement,
    placement_history,
    runner_of,
)
from services.housing.queries import waiting_people
from shared.http import Problem, RequestBody

router = APIRouter(prefix="/v1", dependencies=OperatorOnly, tags=["placements"])


class PersonRef(RequestBody):
    person_id: UUID


class CheckOutRequest(PersonRef):
    reason: Literal["left", "stay_ended"] = "left"


class MoveRequest(RequestBody):
    to_shelter_id: UUID
    reason: str = Field(min_length=3, max_length=500)


def _placement(row: asyncpg.Record) -> dict[str, Any]:
    def iso(value: Any) -> str | None:
        return value.isoformat() if value else None

    return {
        "person_id": str(row["person_id"]),
        "arrival_id": str(row["arrival_id"]) if row["arrival_id"] else None,
        "status": row["status"],
        "placed": row["status"] in ("held", "checked_in"),
        "shelter_id": str(row["shelter_id"]) if row["shelter_id"] else None,
        "unit_id": str(row["unit_id"]) if row["unit_id"] else None,
        "bed_number": row["bed_number"],
        "hold_until": iso(row["hold_until"]),
        "checked_in_at": iso(row["checked_in_at"]),
        "reason": row["reason"],
        "since": iso(row["since"]),
    }


@router.get("/placements/{person_id}")
async def get_placement(person_id: UUID, request: Request) -> dict[str, Any]:
    """Where a person sleeps (held or checked in), or their place on the waitlist."""
    async with pool_of(request).acquire() as conn:
        row = await known_placement(conn, person_id)
        waiting = await waiting_people(conn) if row and row["status"] == "waiting" else []
    position = position_on_waitlist(person_id, waiting)
    if row is None:
        raise Problem(404, "No placement", f"Housing knows no person {person_id} (yet).")
    return {**_placement(row), "waitlist_position": position}


@router.get("/persons/{person_id}/placements")
async def get_history(person_id: UUID, request: Request) -> list[dict[str, Any]]:
    """A person's placement history, oldest first."""
    async with pool_of(request).acquire() as conn:
        rows = await placement_history(conn, person_id)
    return [
        {"at": row["at"].isoformat(), "what": row["what"],
         "shelter_id": str(row["shelter_id"]) if row["shelter_id"] else None,
         "unit_id": str(row["unit_id"]) if row["unit_id"] else None,
         "bed_number": row["bed_number"], "reason": row["reason"]}
        for row in rows
    ]  # fmt: skip


@router.get("/waitlist")
async def get_waitlist(request: Request) -> list[dict[str, Any]]:
    """Who waits for a place: the vulnerable first, then first come."""
    async with pool_of(request).acquire() as conn:
        waiting = await waiting_people(conn)
    return [
        {"position": position, "person_id": str(person.person_id),
         "arrival_id": str(person.arrival_id), "priority": person.priority,
         "keep_together": person.keep_together, "reason": person.reason,
         "since": person.since.isoformat()}
        for position, person in enumerate(waitlist_order(waiting), start=1)
    ]  # fmt: skip


@router.get("/due-out")
async def get_due_out(
    request: Request,
    on: Annotated[
        date | None,
        # a day this service can be asked about; 9999-12-31 has no next day and answered 500
        Query(description="Default: today (UTC)", ge=date(2000, 1, 1), le=date(2999, 12, 31)),
    ] = None,
) -> list[dict[str, Any]]:
    """Who reaches their shelter's maximum stay by the end of the day ``on``."""
    day = on or datetime.now(UTC).date()
    end_of_day = datetime.combine(day + timedelta(days=1), datetime.min.time(), UTC)
    async with pool_of(request).acquire() as conn:
        rows = await due_out(conn, end_of_day)
    return [{**_placement(row), "shelter": row["shelter_name"],
             "max_nights": row["max_nights"]} for row in rows]  # fmt: skip


staff_router = APIRouter(prefix="/v1", tags=["placements"])


async def _runs_it(conn: asyncpg.Connection, actor: str, shelter_id: UUID) -> None:
    """Staff act only in shelters their partner runs; others' answer 404, as if absent."""
    if actor == "operator":
        return
    runner = await runner_of(conn, shelter_id)
    if runner is None or f"partner:{runner}" != actor:
        raise Problem(404, "No such shelter", f"No shelter {shelter_id} is run by you.")


@staff_router.post("/shelters/{shelter_id}/check-ins")
async def post_check_in(
    shelter_id: UUID, body: PersonRef, request: Request, key: IdempotencyKey, actor: StaffActor
) -> JSONResponse:
    """Shelter staff (or an operator): the person arrived at the place held for them."""

    async def work(conn: asyncpg.Connection) -> tuple[int, Any]:
        await _runs_it(conn, actor, shelter_id)
        count = await app.check_in(conn, store_of(request), shelter_id, body.person_id,
                                   actor, datetime.now(UTC))  # fmt: skip
        return 200, {"changed": count > 0}

    return await answer(request, key, body, work, actor)


@staff_router.post("/shelters/{shelter_id}/check-outs")
async def post_check_out(
    shelter_id: UUID,
    body: CheckOutRequest,
    request: Request,
    key: IdempotencyKey,
    actor: StaffActor,
) -> JSONResponse:
    """Shelter staff (or an operator): the person left; the place passes to the first fitting
    waiting person."""

    async def work(conn: asyncpg.Connection) -> tuple[int, Any]:
        await _runs_it(conn, actor, shelter_id)
        command = CheckOut(shelter_id, body.person_id, body.reason, actor, datetime.now(UTC))
        count = await app.change_shelter(conn, store_of(request), holds_of(request), command)
        return 200, {"changed": count > 0}

    return await answer(request, key, body, work, actor)


@router.post("/persons/{person_id}/move")
async def post_move(
    person_id: UUID, body: MoveRequest, request: Request, key: IdempotencyKey
) -> JSONResponse:
    """Operator: move a person to another shelter, with a reason."""

    async def work(conn: asyncpg.Connection) -> tuple[int, Any]:
        moved = await app.move_person(
            conn, store_of(request), holds_of(request), person_id, body.to_shelter_id,
            body.reason, "operator", datetime.now(UTC),
        )  # fmt: skip
        if not moved:
            raise Problem(422, "Nothing to move", f"Person {person_id} holds no place.")
        return 200, {"moved": True, "reason": body.reason}

    return await answer(request, key, body, work)
