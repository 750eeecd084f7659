"""Donations, transfers between sites, write-offs, stock per site, and the items' rules."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any
from uuid import UUID

import asyncpg
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from services.aid.api.deps import OPERATOR, IdempotencyKey, answer, pool_of, store_of
from services.aid.app import distributions
from services.aid.domain.rules import DEFAULT_RULES
from services.aid.queries import rules_by_item, rules_json, stock_levels, stock_movements
from shared.http import examples
from shared.schemas.aid import SITE_PATTERN, AidItem, DonorKind, IssuedPer, WriteOffReason

router = APIRouter(prefix="/v1", dependencies=OPERATOR, tags=["stock"])

Site = Annotated[
    str,
    Field(
        pattern=SITE_PATTERN,
        description="Code of the distribution site or store room, e.g. 'atameken-camp'.",
    ),
]
Quantity = Annotated[int, Field(ge=1, le=100_000, description="Units, in the item's unit.")]
#: free text as Postgres can keep it (no NUL character)
TEXT_PATTERN = r"^[^\x00]*$"
REFUSALS: dict[int | str, dict[str, Any]] = {
    409: {"description": "The Idempotency-Key was used for another request."},
    422: {"description": "A field is invalid, or a rule refused (problem details name it)."},
}


class DonationRequest(BaseModel):
    model_config = examples(
        {"site_id": "atameken-camp", "item": "food_parcel", "quantity": 120,
         "unit": "parcel", "donor_kind": "business", "expires_on": "2022-10-20"},
        {"site_id": "mosque-central", "item": "hygiene_kit", "quantity": 40,
         "unit": "kit", "donor_kind": "ngo"},
    )  # fmt: skip

    site_id: Site
    item: AidItem
    quantity: Quantity
    unit: str = Field(
        pattern=r"^[a-z]{1,20}$", description="Must be the item's unit, e.g. 'parcel'."
    )
    donor_kind: DonorKind
    expires_on: date | None = Field(default=None, description="Required for food.")


class TransferRequest(BaseModel):
    model_config = examples(
        {"item": "food_parcel", "quantity": 30, "from_site_id": "atameken-camp",
         "to_site_id": "gym-5"}
    )  # fmt: skip

    item: AidItem
    quantity: Quantity
    from_site_id: Site
    to_site_id: Site


class WriteOffRequest(BaseModel):
    model_config = examples(
        {"site_id": "gym-5", "item": "food_parcel", "quantity": 4, "reason": "spoiled"}
    )

    site_id: Site
    item: AidItem
    quantity: Quantity
    reason: WriteOffReason


class RulesRequest(BaseModel):
    model_config = examples(
        {"per": "household", "max_per_day": 1, "min_interval_hours": 168,
         "residents_only": False, "vulnerable_first": True, "total_cap": 2,
         "low_stock_level": 10}
    )  # fmt: skip

    per: IssuedPer
    max_per_day: int | None = Field(ge=1, le=1000, description="None: no daily maximum.")
    min_interval_hours: int = Field(ge=0, le=8760, description="0: no minimum interval.")
    residents_only: bool
    vulnerable_first: bool
    total_cap: int | None = Field(ge=1, le=100_000, description="None: no total cap.")
    low_stock_level: int = Field(ge=0, le=1_000_000)


#: a change of stock: takes the request's fields, answers the id of what it recorded
StockChange = Callable[..., Awaitable[UUID]]


async def _recorded(
    request: Request, key: str, body: BaseModel, change: StockChange, id_field: str
) -> JSONResponse:
    """Run ``change`` with the body's fields, once per Idempotency-Key: 201 with the id it
    recorded (as ``id_field``) and the body as understood."""

    async def work(conn: asyncpg.Connection) -> tuple[int, Any]:
        made = await change(conn, store_of(request), **body.model_dump(), now=datetime.now(UTC))
        return 201, {id_field: str(made), **body.model_dump(mode="json")}

    return await answer(request, key, body, work)


@router.post("/donations", status_code=201, responses=REFUSALS)
async def post_donation(
    body: DonationRequest, request: Request, key: IdempotencyKey
) -> JSONResponse:
    """Record a donation received at a site (donor kind only: no donor names)."""
    return await _recorded(request, key, body, distributions.receive_donation, "donation_id")


@router.post("/transfers", status_code=201, responses=REFUSALS)
async def post_transfer(
    body: TransferRequest, request: Request, key: IdempotencyKey
) -> JSONResponse:
    """Move units from one site to another; refused (out_of_stock) beyond the usable stock."""
    return await _recorded(request, key, body, distributions.transfer, "transfer_id")


@router.post("/write-offs", status_code=201, responses=REFUSALS)
async def post_write_off(
    body: WriteOffRequest, request: Request, key: IdempotencyKey
) -> JSONResponse:
    """Take spoiled, expired, damaged or lost units out of a site's stock."""
    return await _recorded(request, key, body, distributions.write_off, "write_off_id")


@router.get("/stock")
async def get_stock(
    request: Request,
    site_id: Annotated[str | None, Query(pattern=SITE_PATTERN)] = None,
    item: AidItem | None = None,
    low_only: bool = False,
) -> list[dict[str, Any]]:
    """Stock per site and item, with its lots by expiry and a low-stock flag."""
    async with pool_of(request).acquire() as conn:
        return await stock_levels(conn, site_id, item, low_only)


@router.get("/stock/{site_id}/{item}/movements")
async def get_movements(
    request: Request,
    site_id: Annotated[str, Path(pattern=SITE_PATTERN)],
    item: AidItem,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    """Donations, transfers, write-offs and issues of one item at one site, newest first."""
    async with pool_of(request).acquire() as conn:
        return await stock_movements(conn, site_id, item, limit)


@router.get("/items", tags=["items"])
async def get_items(request: Request) -> list[dict[str, Any]]:
    """Every aid item with its unit and the entitlement rules in force."""
    async with pool_of(request).acquire() as conn:
        rules = await rules_by_item(conn)
    return [rules_json(rules[item]) for item in AidItem]


@router.post("/items/{item}/rules", status_code=200, responses=REFUSALS, tags=["items"])
async def post_rules(
    item: AidItem, body: RulesRequest, request: Request, key: IdempotencyKey
) -> JSONResponse:
    """Set an item's entitlement rules; they apply to the next issue at every site."""
    rules = replace(
        DEFAULT_RULES[item],
        per=body.per,
        max_per_day=body.max_per_day,
        min_interval=timedelta(hours=body.min_interval_hours),
        residents_only=body.residents_only,
        vulnerable_first=body.vulnerable_first,
        total_cap=body.total_cap,
        low_stock_level=body.low_stock_level,
    )

    async def work(conn: asyncpg.Connection) -> tuple[int, Any]:
        changed = await distributions.set_rules(conn, store_of(request), rules, datetime.now(UTC))
        return 200, {**rules_json(rules), "changed": changed}

    return await answer(request, key, body, work)
