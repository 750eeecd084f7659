"""The arrival slip: what each person of an arrival takes away, in their language (ru, kk, en by
Accept-Language): the code that shelters and food counters know them by, and the same code as a QR
code (the counter's Scan reads it; nothing else is in it). No name: a slip that is lost tells
nobody who they are."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request

from services.intake.api.deps import CurrentPartner, pool_of
from services.intake.api.languages import language_of
from services.intake.case_queries import members_of_own_case
from services.intake.catalogue import text
from services.intake.devices import qr_svg
from services.intake.partners import Scope
from shared.http import Problem

router = APIRouter(prefix="/v1", tags=["arrivals"])


def slip_code(person_id: UUID) -> str:
    """The first 12 hex digits of the id, in groups of four (aid finds the person by them)."""
    digits = person_id.hex[:12].upper()
    return f"{digits[:4]}-{digits[4:8]}-{digits[8:]}"


@router.get("/arrivals/{arrival_id}/slip")
async def get_slip(arrival_id: UUID, request: Request, partner: CurrentPartner) -> Any:
    """Each person's slip code and QR code, with the slip's words in the request's language."""
    partner.require(Scope.READ_OWN_CASES)
    async with pool_of(request).acquire() as conn:
        person_ids = await members_of_own_case(conn, partner, arrival_id)
    if not person_ids:
        raise Problem(404, "No such case", f"No case {arrival_id} is registered by you.")
    language = language_of(request)
    codes = [(str(person_id), slip_code(person_id)) for person_id in person_ids]
    people: list[dict[str, Any]] = [
        {"person_id": person_id, "code": code, "qr_svg": qr_svg(code)} for person_id, code in codes
    ]
    return {
        "language": language, "title": text(language, "slip.title"),
        "code_label": text(language, "slip.code"), "note": text(language, "slip.note"),
        "people": people,
    }  # fmt: skip
