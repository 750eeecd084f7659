"""The food counter finds a person by the code on their arrival slip: the first 12 hex digits
of their pseudonymous id, as the field app prints them (``3F2A-9C01-7B4E``), or the whole id
from the slip's QR code. Ids are random, so 48 bits tell 100,000 people apart but for a chance
of about one in 50,000; a code that fits two people is refused, never guessed."""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request

from services.aid.api.deps import SiteOrOperator, pool_of
from services.aid.slip_queries import beneficiaries_between
from shared.http import Problem

#: the counter's own key (a site key) finds the person it serves, as it reads their entitlements
router = APIRouter(prefix="/v1", tags=["distributions"])
_CODE = re.compile(r"^[0-9A-F]{12}$")


def id_range(code: str) -> tuple[UUID, UUID]:
    """The ids a slip code stands for: every id that starts with its 12 hex digits."""
    digits = code.upper().replace("-", "").replace(" ", "")
    if len(digits) == 32:
        exact = UUID(digits)
        return exact, exact
    if not _CODE.match(digits):
        raise Problem(
            422, "Not a slip code", "A slip code is 12 letters A-F and digits: 3F2A-9C01-7B4E.",
            errors=[{"pointer": "path:code", "detail": "12 hex digits, dashes allowed"}],
        )  # fmt: skip
    return UUID(digits + "0" * 20), UUID(digits + "f" * 20)


@router.get("/slips/{code}")
async def get_slip(code: str, request: Request, _: SiteOrOperator) -> dict[str, Any]:
    """The person a slip code names (their pseudonymous id), if aid knows them."""
    low, high = id_range(code)
    async with pool_of(request).acquire() as conn:
        found = await beneficiaries_between(conn, low, high)
    if not found:
        raise Problem(404, "Unknown code", f"No person with the code {code}; check the slip.")
    if len(found) > 1:
        raise Problem(409, "Ambiguous code", "Two people share this code: scan the slip's QR.")
    return {"person_id": str(found[0])}
