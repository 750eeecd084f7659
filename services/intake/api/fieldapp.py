"""The field app (a PWA for volunteers) at ``/app/``: no data in its files, nothing loaded from
elsewhere; it talks to intake here and to housing and aid at the addresses its page carries
(their CORS settings admit this origin).

On a crowded network every round trip costs seconds (Chromium's Slow 3G: 2 s each), so the page
is the whole first screen in one answer: the stylesheet, the app's script (one module, built by
``services/intake/fieldapp-build``), the catalogue of the language the browser asks for and the
addresses of housing and aid are inlined. The Content-Security-Policy stays strict: the inline
style and script are admitted by their SHA-256, the catalogue and addresses are JSON data blocks,
which a browser never runs."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.intake.api.languages import language_of
from shared.http import Problem

FILES = Path(__file__).resolve().parent.parent / "fieldapp"
_TYPES = {
    ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8", ".json": "application/json",
    ".webmanifest": "application/manifest+json", ".svg": "image/svg+xml", ".png": "image/png",
}  # fmt: skip

router = APIRouter(tags=["field app"], include_in_schema=False)


@dataclass(frozen=True)
class Page:
    """The app's page for one language and one pair of addresses, as sent."""

    raw: bytes
    packed: bytes
    script_hash: str
    style_hash: str


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def _data_block(value: Any) -> str:
    # "<" escaped, so no value can close the block and start markup
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")


@cache
def page(language: str, housing_url: str, aid_url: str) -> Page:
    """index.html with its style, script, catalogue and addresses inlined."""
    style = (FILES / "app.css").read_text("utf-8")
    script = (FILES / "dist" / "app.js").read_text("utf-8")
    if "</script" in script.lower() or "</style" in style.lower():
        raise RuntimeError("the app's script or style would close its own element")
    catalogue = json.loads((FILES / "i18n" / f"{language}.json").read_text("utf-8"))
    parts = {
        "<!--style-->": f"<style>{style}</style>",
        "<!--script-->": f'<script type="module">{script}</script>',
        "<!--catalogue-->": f'<script type="application/json" id="catalogue" '
        f'data-language="{language}">{_data_block(catalogue)}</script>',
        "<!--config-->": '<script type="application/json" id="config">'
        f"{_data_block({'housing_url': housing_url, 'aid_url': aid_url})}</script>",
        '<html lang="ru">': f'<html lang="{language}">',
    }
    html = (FILES / "index.html").read_text("utf-8")
    for marker, content in parts.items():
        if html.count(marker) != 1:
            raise RuntimeError(f"index.html must hold {marker} once")
        html = html.replace(marker, content)
    raw = html.encode()
    return Page(raw, gzip.compress(raw, 9, mtime=0), _sha256(script), _sha256(style))


def _headers(request: Request, inline: Page | None = None) -> dict[str, str]:
    settings = request.app.state.runtime.settings
    others = " ".join(filter(None, (settings.fieldapp_housing_url, settings.fieldapp_aid_url)))
    scripts = f"script-src 'self' {inline.script_hash}; " if inline else ""
    styles = f"style-src 'self' {inline.style_hash}; " if inline else ""
    return {
        "Content-Security-Policy": f"default-src 'self'; {scripts}{styles}"
        f"connect-src 'self' {others}; img-src 'self' data:; "
        "frame-ancestors 'none'; base-uri 'none'",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        # the service worker decides what is cached; the browser always asks first
        "Cache-Control": "no-cache",
        "Vary": "Accept-Encoding",
    }


@cache
def _content(path: Path) -> tuple[bytes, bytes]:
    """A file as it is and gzipped (the app is small and fixed: read once per process)."""
    raw = path.read_bytes()
    return raw, gzip.compress(raw, compresslevel=9, mtime=0)


def _sent(
    request: Request, raw: bytes, packed: bytes, kind: str, headers: dict[str, str]
) -> Response:
    # a crowded mobile network: the app is sent compressed
    if "gzip" in request.headers.get("accept-encoding", "") and kind != ".png":
        headers["Content-Encoding"] = "gzip"
        return Response(packed, media_type=_TYPES[kind], headers=headers)
    return Response(raw, media_type=_TYPES[kind], headers=headers)


@router.get("/app/{asset:path}")
async def app_file(asset: str, request: Request) -> Response:
    if asset in ("", "index.html"):
        settings = request.app.state.runtime.settings
        built = page(language_of(request), settings.fieldapp_housing_url, settings.fieldapp_aid_url)
        headers = _headers(request, built)
        headers["Vary"] = "Accept-Encoding, Accept-Language"
        headers["Content-Language"] = language_of(request)
        return _sent(request, built.raw, built.packed, ".html", headers)
    path = (FILES / asset).resolve()
    if not path.is_relative_to(FILES) or not path.is_file() or path.suffix not in _TYPES:
        raise Problem(404, "Not found", f"The field app has no file {asset!r}.")
    headers = _headers(request)
    if path.name == "sw.js":
        headers["Service-Worker-Allowed"] = "/app/"
    return _sent(request, *_content(path), path.suffix, headers)
