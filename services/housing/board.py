"""The coordination centre's occupancy board: a page anyone may load, data only for operators.

``GET /board`` serves a static page (HTML, CSS and vanilla JS from ``static/``, no build step,
nothing from a CDN) that carries no data. Its script asks for the operator key once, keeps it
in ``sessionStorage`` (or takes it from the URL fragment ``#key=...``, which browsers never send
to the server, and strips it from the address bar) and polls ``GET /v1/board`` every 5 s with
the key in ``X-API-Key``. The key never travels in a URL, so it never lands in access logs.

``/v1/board`` carries counts only: no person id, no arrival id, no name.

Arrivals today: housing never sees intake's ``arrival_date``, and its inbox records event ids,
not event types, while ``placements.since`` moves with every status change. So the board counts
the distinct ``arrival_id`` whose *first* placement decision (``BedAssigned`` or
``PersonWaitlisted``) housing recorded in its own event store during the current local day in
Oral (UTC+5 all year): the arrivals housing received today, whatever happened to them since. An
arrival placed again later (a move, a freed place from the waitlist) does not count twice, nor on
a later day.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse

from services.housing.api.deps import OperatorOnly, pool_of
from shared.http import Problem

#: Oral keeps UTC+5 all year (no daylight saving since 1992)
LOCAL_TIME = timezone(timedelta(hours=5), "Asia/Oral")
STATIC = Path(__file__).parent / "static"
_ASSETS = {"board.css": "text/css", "board.js": "text/javascript"}
#: the page may be framed by nothing, load nothing from elsewhere, and is never cached with data
_PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; base-uri 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
}

page_router = APIRouter(tags=["board"], include_in_schema=False)
data_router = APIRouter(prefix="/v1", dependencies=OperatorOnly, tags=["board"])

_SHELTERS = """
SELECT s.shelter_id, s.name, s.kind, s.district, s.status,
       coalesce(sum(u.places), 0)::int AS places,
       coalesce(sum(u.held), 0)::int AS held,
       coalesce(sum(u.occupied), 0)::int AS occupied
FROM shelters s LEFT JOIN units u USING (shelter_id)
GROUP BY s.shelter_id
ORDER BY s.opened_at, s.shelter_id
"""

_ARRIVALS_SINCE = """
SELECT count(*) FROM (
    SELECT data->>'arrival_id' AS arrival_id, min(recorded_at) AS first_decided
    FROM events
    WHERE event_type IN ('BedAssigned', 'PersonWaitlisted') AND data ? 'arrival_id'
    GROUP BY 1
) decided
WHERE first_decided >= $1 AND first_decided < $2
"""


def local_day_bounds(now: datetime) -> tuple[datetime, datetime]:
    """The start and end of the local day in Oral that contains ``now``, as UTC moments."""
    start = datetime.combine(now.astimezone(LOCAL_TIME).date(), datetime.min.time(), LOCAL_TIME)
    return start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)


@page_router.get("/board")
async def board_page() -> FileResponse:
    """The board itself: a page without data; its script fetches /v1/board with the key."""
    return FileResponse(STATIC / "board.html", media_type="text/html", headers=_PAGE_HEADERS)


@page_router.get("/board/{asset}")
async def board_asset(asset: str) -> FileResponse:
    """The page's stylesheet and script (only these two names: nothing else is served)."""
    media_type = _ASSETS.get(asset)
    if media_type is None:
        raise Problem(404, "No such file", f"The board has no {asset!r}.")
    return FileResponse(STATIC / asset, media_type=media_type, headers=_PAGE_HEADERS)


@data_router.get("/board")
async def get_board(request: Request) -> dict[str, Any]:
    """Occupancy for the wall screen: per shelter free, held and occupied places; the waitlist
    length; arrivals today (local day in Oral). Counts only, no personal data."""
    now = datetime.now(UTC)
    start, end = local_day_bounds(now)
    pool = pool_of(request)
    # one snapshot: the shelters, the waitlist and the arrivals agree with each other
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        rows = await conn.fetch(_SHELTERS)
        waiting = await conn.fetchval("SELECT count(*) FROM placements WHERE status = 'waiting'")
        arrivals = await conn.fetchval(_ARRIVALS_SINCE, start, end)
    shelters = [
        {
            "shelter_id": str(row["shelter_id"]), "name": row["name"], "kind": row["kind"],
            "district": row["district"], "status": row["status"], "places": row["places"],
            "free": max(row["places"] - row["held"] - row["occupied"], 0),
            "held": row["held"], "occupied": row["occupied"],
        }
        for row in rows
    ]  # fmt: skip
    return {
        "generated_at": now.isoformat(),
        "local_day": start.astimezone(LOCAL_TIME).date().isoformat(),
        "arrivals_today": int(arrivals),
        "arrivals_today_counts": "arrivals (one person or a group) that housing first placed "
        "or waitlisted this local day",
        "waitlist": int(waiting),
        "totals": {
            key: sum(shelter[key] for shelter in shelters)
            for key in ("places", "free", "held", "occupied")
        },
        "shelters": shelters,
    }


#: what housing's main includes: the page and its data
router = APIRouter()
router.include_router(page_router)
router.include_router(data_router)
