"""Aid's HTTP API for the coordination centre (operator key on every call)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg
from fastapi import APIRouter, Depends, Request

from shared.http import ApiKeyHeader, Problem, require_operator


def operator_only(request: Request, api_key: ApiKeyHeader = None) -> None:
    require_operator(request.app.state.runtime.settings.operator_api_key, api_key)


router = APIRouter(prefix="/v1", dependencies=[Depends(operator_only)])


@router.get("/entitlements/{person_id}")
async def get_entitlements(person_id: UUID, request: Request) -> dict[str, Any]:
    """Whether a person is a resident and what aid they are entitled to."""
    pool: asyncpg.Pool = request.app.state.runtime.pool
    async with pool.acquire() as conn:
        person = await conn.fetchrow("SELECT * FROM beneficiaries WHERE person_id = $1", person_id)
        items = await conn.fetch(
            "SELECT item, per_day FROM entitlements WHERE person_id = $1 AND closed_at IS NULL "
            "ORDER BY item",
            person_id,
        )
    if person is None:
        raise Problem(404, "Unknown person", f"Aid knows no person {person_id} (yet).")
    return {
        "person_id": str(person_id),
        "arrival_id": str(person["arrival_id"]) if person["arrival_id"] else None,
        "age_band": person["age_band"],
        "resident": person["shelter_id"] is not None,
        "status": person["status"],
        "shelter_id": str(person["shelter_id"]) if person["shelter_id"] else None,
        "entitlements": [{"item": row["item"], "per_day": row["per_day"]} for row in items],
    }
