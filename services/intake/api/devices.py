"""Partners (or operators, for a partner) issue one key per volunteer's device, list their
devices and revoke one. A device key itself may do none of this."""

from __future__ import annotations

import json
from typing import Annotated, Any
from uuid import UUID

import asyncpg
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from services.intake import devices
from services.intake.api.deps import CurrentPartner, IdempotencyKey, answer, pool_of
from services.intake.partners import Partner, Scope
from services.intake.requests import PartnerId, Text
from shared.http import Problem, RequestBody

router = APIRouter(
    prefix="/v1/devices",
    tags=["devices"],
    responses={403: {"description": "A device key, or a partner naming another partner."}},
)

KEY_NOTE = "The key is shown once, in the first answer; issue a new device key if it was lost."


class NewDevice(RequestBody):
    label: Text = Field(examples=["Welcome point Syrym, phone 3"])
    partner_id: PartnerId | None = Field(
        default=None, description="Operators only: the partner the device works for."
    )


def not_a_device(partner: CurrentPartner) -> Partner:
    """Device keys never manage devices: a lost phone cannot mint more keys."""
    if partner.device_id is not None:
        raise Problem(403, "Not for devices", "A device key cannot manage device keys.")
    partner.require(Scope.REGISTER_ARRIVALS)
    return partner


Issuer = Annotated[Partner, Depends(not_a_device)]


@router.post(
    "",
    status_code=201,
    responses={404: {"description": "No active partner with that partner_id."},
               422: {"description": "A field is invalid, or an operator named no partner."}},
)  # fmt: skip
async def post_device(
    body: NewDevice, request: Request, issuer: Issuer, key: IdempotencyKey
) -> JSONResponse:
    """A key for one device: shown once, as characters to type (in groups of four) and as a QR
    code (SVG) that opens the field app with the key filled in."""
    partner_id = body.partner_id if issuer.is_operator else issuer.partner_id
    if partner_id is None:
        raise Problem(422, "Which partner", "Operators name the partner: give partner_id.")
    if body.partner_id not in (None, partner_id):
        raise Problem(403, "Missing scope", "You may issue keys only for your own devices.")
    shown: dict[str, str] = {}

    async def work(conn: asyncpg.Connection) -> tuple[int, Any]:
        issued = await devices.issue(conn, partner_id, body.label, issuer.actor)
        if issued is None:
            raise Problem(404, "No such partner", f"No active partner {partner_id!r}.")
        shown["key"] = issued.key
        # what a retry gets back: never the key, which is stored only hashed
        return 201, {"device_id": str(issued.device_id), "partner_id": partner_id,
                     "label": body.label, "key": None, "note": KEY_NOTE}  # fmt: skip

    response = await answer(request, issuer, key, body, work)
    if "key" not in shown:
        return response
    content = json.loads(bytes(response.body))
    content.pop("note")
    link = f"{str(request.base_url).rstrip('/')}/app/#device={shown['key']}"
    content.update(key=shown["key"], short_code=devices.short_code(shown["key"]),
                   setup_link=link, qr_svg=devices.qr_svg(link))  # fmt: skip
    return JSONResponse(content, status_code=response.status_code)


@router.get("")
async def get_devices(
    request: Request,
    issuer: Issuer,
    partner_id: Annotated[str | None, Query(description="Operators: one partner's")] = None,
) -> list[dict[str, Any]]:
    """Your devices (operators: every partner's, or one's), newest first; never their keys."""
    own = partner_id if issuer.is_operator else issuer.partner_id
    async with pool_of(request).acquire() as conn:
        return await devices.listed(conn, own)


@router.post("/{device_id}/revocation")
async def post_revocation(
    device_id: UUID, request: Request, issuer: Issuer, key: IdempotencyKey
) -> JSONResponse:
    """The device's key stops working at once; the partner's other devices go on."""

    async def work(conn: asyncpg.Connection) -> tuple[int, Any]:
        owner = None if issuer.is_operator else issuer.partner_id
        if not await devices.revoke(conn, device_id, owner):
            raise Problem(404, "No such device", f"No device {device_id} is yours.")
        return 200, {"device_id": str(device_id), "revoked": True}

    return await answer(request, issuer, key, None, work)
