"""The field app (a PWA for volunteers) served as static files at ``/app/``: no data in its
files, nothing loaded from elsewhere; it talks to intake here and to housing and aid at the
addresses in ``/app/config.json`` (their CORS settings admit this origin)."""

from __future__ import annotations

import gzip
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from shared.http import Problem

FILES = Path(__file__).resolve().parent.parent / "fieldapp"
_TYPES = {
    ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8", ".json": "application/json",
    ".webmanifest": "application/manifest+json", ".svg": "image/svg+xml", ".png": "image/png",
}  # fmt: skip

router = APIRouter(tags=["field app"], include_in_schema=False)


def _headers(request: Request) -> dict[str, str]:
    settings = request.app.state.runtime.settings
    others = " ".join(filter(None, (settings.fieldapp_housing_url, settings.fieldapp_aid_url)))
    return {
        "Content-Security-Policy": f"default-src 'self'; connect-src 'self' {others}; "
        "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        # the service worker decides what is cached; the browser always asks first
        "Cache-Control": "no-cache",
    }


@router.get("/app/config.json")
async def app_config(request: Request) -> dict[str, Any]:
    """Where the app finds housing (shelter desk) and aid (food counter)."""
    settings = request.app.state.runtime.settings
    return {"housing_url": settings.fieldapp_housing_url, "aid_url": settings.fieldapp_aid_url}


@cache
def _content(path: Path) -> tuple[bytes, bytes]:
    """A file as it is and gzipped (the app is small and fixed: read once per process)."""
    raw = path.read_bytes()
    return raw, gzip.compress(raw, compresslevel=9, mtime=0)


@router.get("/app/{asset:path}")
async def app_file(asset: str, request: Request) -> Response:
    path = (FILES / (asset or "index.html")).resolve()
    if not path.is_relative_to(FILES) or not path.is_file() or path.suffix not in _TYPES:
        raise Problem(404, "Not found", f"The field app has no file {asset!r}.")
    headers = _headers(request)
    if path.name == "sw.js":
        headers["Service-Worker-Allowed"] = "/app/"
    raw, packed = _content(path)
    headers["Vary"] = "Accept-Encoding"
    # a crowded mobile network: the app's first load is sent compressed
    if "gzip" in request.headers.get("accept-encoding", "") and path.suffix != ".png":
        headers["Content-Encoding"] = "gzip"
        return Response(packed, media_type=_TYPES[path.suffix], headers=headers)
    return Response(raw, media_type=_TYPES[path.suffix], headers=headers)
