"""Housing's HTTP API for the coordination centre (operator key on every call)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

import asyncpg
from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from services.housing.app import open_shelter
from shared.decider import DomainError
from shared.eventstore import EventStore
from shared.http import ApiKeyHeader, Problem, require_operator
from shared.idempotency import (
    MAX_KEY_LENGTH,
    KeyReusedWithOtherRequest,
    request_fingerprint,
    run_once,
)
from shared.schemas.housing import ShelterKind


def operator_only(request: Request, api_key: ApiKeyHeader = None) -> None:
    require_operator(request.app.state.runtime.settings.operator_api_key, api_key)


router = APIRouter(prefix="/v1", dependencies=[Depends(operator_only)])


def pool_of(request: Request) -> asyncpg.Pool:
    pool: asyncpg.Pool = request.app.state.runtime.pool
    return pool


class OpenShelterRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Atameken camp, dormitory 3",
                    "kind": "camp_dormitory",
                    "district": "Zachagansk",
                    "beds": 12,
                }
            ]
        },
    )

    name: str = Field(min_length=1, max_length=200)
    kind: ShelterKind
    district: str = Field(min_length=1, max_length=200)
    beds: int = Field(ge=1, le=100_000)


@router.post("/shelters", status_code=201)
async def post_shelter(
    body: OpenShelterRequest,
    request: Request,
    idempotency_key: Annotated[
        str, Header(alias="Idempotency-Key", min_length=1, max_length=MAX_KEY_LENGTH)
    ],
) -> Any:
    """Open a shelter with its beds (or floor places)."""
    store: EventStore = request.app.state.store
    fingerprint = request_fingerprint("POST", "/v1/shelters", body.model_dump(mode="json"))

    async def work(conn: asyncpg.Connection) -> tuple[int, Any]:
        shelter_id = await open_shelter(
            conn,
            store,
            name=body.name,
            kind=body.kind,
            district=body.district,
            beds=body.beds,
            now=datetime.now(UTC),
        )
        return 201, {"shelter_id": str(shelter_id)}

    try:
        outcome = await run_once(pool_of(request), "operator", idempotency_key, fingerprint, work)
    except KeyReusedWithOtherRequest as error:
        raise Problem(
            409, "Idempotency-Key reused", "That key was used for another request; use a new key."
        ) from error
    except DomainError as error:
        raise Problem(422, "Shelter refused", str(error)) from error
    return JSONResponse(outcome.response, status_code=outcome.status_code)


def _shelter(row: asyncpg.Record) -> dict[str, Any]:
    return {
        "shelter_id": str(row["shelter_id"]),
        "name": row["name"],
        "kind": row["kind"],
        "district": row["district"],
        "beds": row["beds"],
        "occupied": row["occupied"],
        "free": row["beds"] - row["occupied"],
    }


@router.get("/shelters")
async def list_shelters(request: Request) -> list[dict[str, Any]]:
    """Every shelter with its occupancy."""
    async with pool_of(request).acquire() as conn:
        rows = await conn.fetch("SELECT * FROM shelters ORDER BY opened_at, shelter_id")
    return [_shelter(row) for row in rows]


@router.get("/shelters/{shelter_id}")
async def get_shelter(shelter_id: UUID, request: Request) -> dict[str, Any]:
    async with pool_of(request).acquire() as conn:
        row = await conn.fetchrow("SELECT * FROM shelters WHERE shelter_id = $1", shelter_id)
    if row is None:
        raise Problem(404, "No such shelter", f"No shelter {shelter_id} is open.")
    return _shelter(row)


@router.get("/placements/{person_id}")
async def get_placement(person_id: UUID, request: Request) -> dict[str, Any]:
    """Where a person sleeps, or their place on the waitlist."""
    async with pool_of(request).acquire() as conn:
        row = await conn.fetchrow(
            """
            SELECT p.*, CASE WHEN p.status = 'waiting' THEN
                (SELECT count(*) FROM placements w WHERE w.status = 'waiting'
                 AND (w.since, w.person_id) <= (p.since, p.person_id)) END AS position
            FROM placements p WHERE person_id = $1
            """,
            person_id,
        )
    if row is None:
        raise Problem(404, "No placement", f"Housing knows no person {person_id} (yet).")
    return {
        "person_id": str(row["person_id"]),
        "arrival_id": str(row["arrival_id"]) if row["arrival_id"] else None,
        "status": row["status"],
        "shelter_id": str(row["shelter_id"]) if row["shelter_id"] else None,
        "bed_number": row["bed_number"],
        "waitlist_position": row["position"],
        "reason": row["reason"],
        "since": row["since"].isoformat(),
    }


@router.get("/waitlist")
async def get_waitlist(request: Request) -> list[dict[str, Any]]:
    """Who waits for a bed, first come first."""
    async with pool_of(request).acquire() as conn:
        rows = await conn.fetch(
            "SELECT * FROM placements WHERE status = 'waiting' ORDER BY since, person_id"
        )
    return [
        {
            "position": index,
            "person_id": str(row["person_id"]),
            "arrival_id": str(row["arrival_id"]),
            "reason": row["reason"],
            "since": row["since"].isoformat(),
        }
        for index, row in enumerate(rows, start=1)
    ]
