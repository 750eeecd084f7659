"""Shelters of every kind, their units, and host offers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import partial
from typing import Annotated, Any, Literal
from uuid import UUID, uuid4

import asyncpg
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import Field, model_validator

from services.housing import app
from services.housing.api.deps import (
    IdempotencyKey,
    OperatorOnly,
    answer,
    holds_of,
    pool_of,
    store_of,
)
from services.housing.domain.shelter import (
    AddUnit,
    ChangeCapacity,
    CloseShelter,
    ShelterCommand,
    UnitCodeTaken,
    VerifyHostOffer,
    WithdrawHostOffer,
    shelter,
)
from services.housing.events import UnitName
from services.housing.placement_queries import shelter_code_taken, shelter_ids
from services.housing.queries import occupants_at, shelter_view
from shared.http import Problem, RequestBody, examples
from shared.schemas.base import LanguageCode, PartnerId
from shared.schemas.shelters import PlaceCode, ShelterKind, Unit, UnitAttribute

router = APIRouter(prefix="/v1", dependencies=OperatorOnly, tags=["shelters"])


class UnitRequest(RequestBody):
    name: str = Field(min_length=1, max_length=200)
    places: int = Field(ge=1, le=10_000)
    attributes: list[UnitAttribute] = Field(default_factory=list, max_length=5)
    languages: list[LanguageCode] = Field(default_factory=list, max_length=10)
    code: PlaceCode | None = Field(
        default=None, description="Short public code, unique in the shelter, e.g. room-12."
    )

    def unit(self) -> tuple[Unit, UnitName]:
        """The unit as published (its code too), and its name, which stays in housing."""
        unit = Unit(unit_id=uuid4(), places=self.places,
                    attributes=tuple(dict.fromkeys(self.attributes)),
                    languages=tuple(self.languages), code=self.code)  # fmt: skip
        return unit, UnitName(unit_id=unit.unit_id, name=self.name)


class OpenShelterRequest(RequestBody):
    model_config = examples(
        {"name": "Atameken summer camp", "code": "atameken", "kind": "camp_dormitory",
         "district": "Zachagansk",
         "units": [{"name": "Dormitory 3", "code": "dorm-3", "places": 12, "attributes": []},
                   {"name": "Family house", "code": "family-house", "places": 4,
                    "attributes": ["family_room", "accessible"]}]},
        {"name": "Cinema Arman", "kind": "cinema", "district": "Centre", "beds": 200,
         "max_nights": 2},
    )  # fmt: skip

    name: str = Field(min_length=1, max_length=200)
    code: PlaceCode | None = Field(
        default=None,
        description="Short public code, unique among shelters, e.g. atameken: volunteers see "
        "it (housing publishes no names).",
    )
    kind: ShelterKind
    district: str = Field(min_length=1, max_length=200)
    beds: int | None = Field(default=None, ge=1, le=10_000, description="One unit of N places.")
    units: list[UnitRequest] = Field(default_factory=list, max_length=500)
    max_nights: int | None = Field(default=None, ge=1, le=365)
    contact_partner_id: PartnerId | None = None

    @model_validator(mode="after")
    def beds_or_units(self) -> OpenShelterRequest:
        if (self.beds is None) == (not self.units):
            raise ValueError("give either beds (one unit) or units")
        return self

    def refuse_repeated_unit_codes(self) -> None:
        seen: set[str] = set()
        for index, unit in enumerate(self.units):
            if unit.code in seen:
                raise _code_problem(422, f"#/units/{index}/code", unit.code, "another unit here")
            if unit.code is not None:
                seen.add(unit.code)

    def all_units(self) -> list[tuple[Unit, UnitName]]:
        if self.beds is not None:
            return [UnitRequest(name="main", places=self.beds).unit()]
        return [unit.unit() for unit in self.units]


class HostOfferRequest(RequestBody):
    partner_id: PartnerId = Field(description="The host network.")
    district: str = Field(min_length=1, max_length=200)
    places: int = Field(ge=1, le=50)
    attributes: list[UnitAttribute] = Field(default_factory=list, max_length=5)
    languages: list[LanguageCode] = Field(default_factory=list, max_length=10)
    available_from: date
    available_until: date


class CapacityRequest(RequestBody):
    places: int = Field(ge=0, le=10_000)


class StatusRequest(RequestBody):
    status: Literal["closed", "open"]


def _now() -> datetime:
    return datetime.now(UTC)


def _code_problem(status: int, pointer: str, code: str | None, holder: str) -> Problem:
    detail = f"The code {code!r} belongs to {holder} already; choose another one."
    return Problem(status, "Code taken", detail, errors=[{"pointer": pointer, "detail": detail}])


async def _refuse_taken_shelter_code(conn: asyncpg.Connection, code: str | None) -> None:
    if code is not None and await shelter_code_taken(conn, code):
        raise _code_problem(409, "#/code", code, "another shelter")


async def _change(
    request: Request,
    key: str,
    body: RequestBody | None,
    command: Callable[[datetime], ShelterCommand],
) -> JSONResponse:
    """An operator's change of a shelter, once per Idempotency-Key (``command`` is given the
    time it runs at): 200, with whether anything changed."""

    async def work(conn: asyncpg.Connection) -> tuple[int, Any]:
        changed = command(_now())
        count = await app.change_shelter(conn, store_of(request), holds_of(request), changed)
        return 200, {"changed": count > 0}

    return await answer(request, key, body, work)


@router.post("/shelters", status_code=201)
async def post_shelter(
    body: OpenShelterRequest, request: Request, key: IdempotencyKey
) -> JSONResponse:
    """Open a shelter: one unit of `beds` places, or its units with their attributes, each
    with an optional short public code."""
    body.refuse_repeated_unit_codes()

    async def work(conn: asyncpg.Connection) -> tuple[int, Any]:
        await _refuse_taken_shelter_code(conn, body.code)
        try:
            shelter_id = await app.open_shelter(
                conn, store_of(request), holds_of(request), name=body.name, kind=body.kind,
                district=body.district, units=body.all_units(), max_nights=body.max_nights,
                contact_partner_id=body.contact_partner_id, actor="operator", now=_now(),
                code=body.code,
            )  # fmt: skip
        except asyncpg.UniqueViolationError as error:  # another operator took it meanwhile
            raise _code_problem(409, "#/code", body.code, "another shelter") from error
        return 201, {"shelter_id": str(shelter_id)}

    return await answer(request, key, body, work)


@router.post("/shelters/{shelter_id}/units", status_code=201)
async def post_unit(
    shelter_id: UUID, body: UnitRequest, request: Request, key: IdempotencyKey
) -> JSONResponse:
    """Add a unit; waiting people who fit get holds on its places."""
    unit, named = body.unit()

    async def work(conn: asyncpg.Connection) -> tuple[int, Any]:
        command = AddUnit(shelter_id, unit, "operator", _now(), named.name)
        try:
            await app.change_shelter(conn, store_of(request), holds_of(request), command)
        except UnitCodeTaken as error:
            raise _code_problem(409, "#/code", unit.code, "another unit here") from error
        return 201, {"unit_id": str(unit.unit_id)}

    return await answer(request, key, body, work)


@router.post("/shelters/{shelter_id}/units/{unit_id}/capacity")
async def post_capacity(
    shelter_id: UUID,
    unit_id: UUID,
    body: CapacityRequest,
    request: Request,
    key: IdempotencyKey,
) -> JSONResponse:
    """Change a unit's places (never below the places taken)."""
    command = partial(ChangeCapacity, shelter_id, unit_id, body.places, "operator")
    return await _change(request, key, body, command)


@router.post("/shelters/{shelter_id}/status")
async def post_status(
    shelter_id: UUID, body: StatusRequest, request: Request, key: IdempotencyKey
) -> JSONResponse:
    """Close a shelter to newcomers, or open it again."""
    command = partial(CloseShelter, shelter_id, body.status == "open", "operator")
    return await _change(request, key, body, command)


@router.post("/host-offers", status_code=201)
async def post_host_offer(
    body: HostOfferRequest, request: Request, key: IdempotencyKey
) -> JSONResponse:
    """A host network offers a home or room; it takes people once the network verifies it."""

    async def work(conn: asyncpg.Connection) -> tuple[int, Any]:
        unit, _ = UnitRequest(name="home", places=body.places, attributes=body.attributes,
                              languages=body.languages).unit()  # fmt: skip
        shelter_id = await app.offer_host_place(
            conn, store_of(request), partner_id=body.partner_id, district=body.district,
            unit=unit, available_from=body.available_from,
            available_until=body.available_until, actor=f"partner:{body.partner_id}",
            now=_now(),
        )  # fmt: skip
        return 201, {"shelter_id": str(shelter_id), "status": "offered"}

    return await answer(request, key, body, work)


@router.post("/host-offers/{shelter_id}/verification")
async def post_verification(
    shelter_id: UUID, request: Request, key: IdempotencyKey
) -> JSONResponse:
    """The host network verified the offer: waiting people who fit get holds there."""
    return await _change(request, key, None, partial(VerifyHostOffer, shelter_id, "operator"))


@router.post("/host-offers/{shelter_id}/withdrawal")
async def post_withdrawal(shelter_id: UUID, request: Request, key: IdempotencyKey) -> JSONResponse:
    """The host withdrew: whoever was placed there goes back to the waitlist, first."""
    return await _change(request, key, None, partial(WithdrawHostOffer, shelter_id, "operator"))


@router.get("/shelters")
async def list_shelters(request: Request) -> list[dict[str, Any]]:
    """Every shelter with free, held and occupied places, per unit."""
    async with pool_of(request).acquire() as conn:
        ids = await shelter_ids(conn)
        return [await shelter_view(conn, shelter_id) for shelter_id in ids]  # type: ignore[misc]


@router.get("/shelters/{shelter_id}")
async def get_shelter(shelter_id: UUID, request: Request) -> dict[str, Any]:
    async with pool_of(request).acquire() as conn:
        view = await shelter_view(conn, shelter_id)
    if view is None:
        raise Problem(404, "No such shelter", f"No shelter {shelter_id}.")
    return view


@router.get("/shelters/{shelter_id}/occupants")
async def get_occupants(
    shelter_id: UUID,
    request: Request,
    at: Annotated[
        datetime, Query(description="The moment, with a zone, e.g. 2022-09-24T23:00+05:00")
    ],
) -> dict[str, Any]:
    """Who slept where at a past moment, answered from the events themselves."""
    if at.tzinfo is None:
        raise Problem(422, "Moment without a zone", "Give `at` with its UTC offset.")
    async with pool_of(request).acquire() as conn:
        history = await store_of(request).read_stream(conn, str(shelter_id))
    if not history:
        raise Problem(404, "No such shelter", f"No shelter {shelter_id}.")
    return occupants_at(shelter, history, at)
