"""Daily totals per site and item, as CSV or JSON with HXL hashtags."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from services.aid.api.deps import OPERATOR, pool_of
from services.aid.queries import daily_totals
from services.aid.reports import as_hxl_csv, as_hxl_json, rows_of
from shared.schemas.aid import SITE_PATTERN

router = APIRouter(prefix="/v1", dependencies=OPERATOR, tags=["reports"])


@router.get(
    "/reports/daily-totals",
    response_class=Response,
    responses={
        200: {
            "description": "One row per site and item: issued, people reached, received, "
            "transferred, written off. CSV has the HXL hashtag row under its header; JSON is "
            "HXL JSON (objects keyed by hashtag).",
            "content": {"text/csv": {}, "application/json": {}},
        }
    },
)
async def get_daily_totals(
    request: Request,
    day: Annotated[date, Query(description="Local day in Oral (UTC+5), e.g. 2022-09-26.")],
    format: Annotated[Literal["csv", "json"], Query()] = "csv",
    site_id: Annotated[str | None, Query(pattern=SITE_PATTERN)] = None,
) -> Response:
    """A day's distributions and stock movements, for partners and the city (no person ids)."""
    async with pool_of(request).acquire() as conn:
        rows = rows_of(day, await daily_totals(conn, day, site_id))
    if format == "json":
        return JSONResponse(as_hxl_json(rows))
    filename = f"aid-daily-totals-{day.isoformat()}.csv"
    return Response(
        as_hxl_csv(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
