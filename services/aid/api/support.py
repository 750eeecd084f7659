"""Support for the way forward: requests for onward travel and job search, partners' offers,
the matches aid proposes, and their statuses through to done or withdrawn."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import asyncpg
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from services.aid.api.deps import OPERATOR, IdempotencyKey, answer, pool_of, store_of
from services.aid.api.stock import REFUSALS, TEXT_PATTERN
from services.aid.app import support
from services.aid.domain.support import (
    MatchWithdrawalReason,
    OfferDetails,
    RequestDetails,
    WithdrawalReason,
)
from services.aid.events import Country, DocumentHeld, Language, Tag
from services.aid.support_queries import (
    match,
    matches,
    offer_exists,
    offers,
    support_request,
    support_requests,
)
from shared.http import Problem
from shared.schemas.aid import OfferKind, SupportKind

router = APIRouter(prefix="/v1", dependencies=OPERATOR, tags=["support"])

Note = Annotated[str | None, Field(default=None, max_length=1000, pattern=TEXT_PATTERN)]
City = Annotated[str, Field(min_length=1, max_length=100, pattern=TEXT_PATTERN)]


class OnwardTravelRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"kind": "onward_travel", "person_id": "7d1c3f9e-3b1a-4c55-9e43-2f4b8f0f6a11",
                 "destination_country": "GE", "destination_city": "Tbilisi",
                 "documents_held": ["internal_passport"], "wanted_on": "2022-10-01"}
            ]
        },
    )  # fmt: skip

    kind: Literal["onward_travel"]
    person_id: UUID
    destination_country: Country = Field(description="ISO 3166-1 alpha-2, e.g. 'GE'.")
    destination_city: City | None = None
    documents_held: list[DocumentHeld] = Field(default_factory=list, max_length=6)
    wanted_on: date | None = None
    note: Note = None

    def details(self) -> RequestDetails:
        return RequestDetails(
            destination_city=self.destination_city,
            documents_held=tuple(dict.fromkeys(self.documents_held)),
            wanted_on=self.wanted_on,
            note=self.note,
        )


class JobSearchRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"kind": "job_search", "person_id": "7d1c3f9e-3b1a-4c55-9e43-2f4b8f0f6a11",
                 "profession": "software_developer", "skills": ["python", "postgresql"],
                 "languages": ["ru", "en"], "work_countries": ["KZ"], "remote_ok": True}
            ]
        },
    )  # fmt: skip

    kind: Literal["job_search"]
    person_id: UUID
    profession: Tag | None = Field(default=None, description="A tag, e.g. 'software_developer'.")
    skills: list[Tag] = Field(default_factory=list, max_length=30)
    languages: list[Language] = Field(default_factory=list, max_length=10)
    work_countries: list[Country] = Field(
        default_factory=list, max_length=20, description="Where the person may work; empty: any."
    )
    remote_ok: bool = False
    note: Note = None

    def details(self) -> RequestDetails:
        return RequestDetails(
            profession=self.profession,
            skills=tuple(dict.fromkeys(self.skills)),
            languages=tuple(dict.fromkeys(self.languages)),
            work_countries=tuple(dict.fromkeys(self.work_countries)),
            remote_ok=self.remote_ok,
            note=self.note,
        )


SupportRequestBody = Annotated[OnwardTravelRequest | JobSearchRequest, Field(discriminator="kind")]


class _OfferBase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    partner: str = Field(min_length=1, max_length=200, pattern=TEXT_PATTERN, description="Who.")
    title: str = Field(min_length=1, max_length=200, pattern=TEXT_PATTERN)
    description: str | None = Field(default=None, max_length=2000, pattern=TEXT_PATTERN)
    contact: str | None = Field(default=None, max_length=200, pattern=TEXT_PATTERN)
    languages: list[Language] = Field(default_factory=list, max_length=10)
    places: int = Field(default=1, ge=1, le=1000, description="Seats, tickets or positions.")
    available_until: date | None = None

    def details(self) -> OfferDetails:
        return OfferDetails(
            self.partner, self.title, self.description, self.contact, self.available_until
        )


class TravelOffer(_OfferBase):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"kind": "ride", "partner": "Volunteer drivers of Oral",
                 "title": "Minivan to Tbilisi, leaving Saturday morning",
                 "country": "GE", "city": "Tbilisi", "places": 6, "languages": ["ru"]}
            ]
        },
    )  # fmt: skip

    kind: Literal["ride", "ticket"]
    country: Country = Field(description="Destination country, ISO 3166-1 alpha-2.")
    city: City | None = None


class WorkOffer(_OfferBase):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"kind": "job", "partner": "Oral IT hub", "title": "Backend developer",
                 "profession": "software_developer", "skills": ["python"], "country": "KZ",
                 "city": "Oral", "languages": ["ru", "en"]}
            ]
        },
    )  # fmt: skip

    kind: Literal["job", "remote_work"]
    profession: Tag | None = None
    skills: list[Tag] = Field(default_factory=list, max_length=30)
    country: Country | None = Field(default=None, description="Where the job is (not remote).")
    city: City | None = None


OfferBody = Annotated[TravelOffer | WorkOffer, Field(discriminator="kind")]


class RequestWithdrawal(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: WithdrawalReason = "no_longer_needed"


class MatchWithdrawal(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: MatchWithdrawalReason = "declined"


@router.post("/support-requests", status_code=201, responses=REFUSALS)
async def post_support_request(
    body: SupportRequestBody, request: Request, key: IdempotencyKey
) -> JSONResponse:
    """Ask for help to travel on or to find work; the answer lists the matches proposed."""

    async def work(conn: asyncpg.Connection) -> tuple[int, Any]:
        request_id, proposals = await support.request_support(
            conn,
            store_of(request),
            person_id=body.person_id,
            kind=SupportKind(body.kind),
            destination_country=(
                body.destination_country if isinstance(body, OnwardTravelRequest) else None
            ),
            details=body.details(),
            now=datetime.now(UTC),
        )
        return 201, {"request_id": str(request_id), "status": "open", "proposed": proposals}

    return await answer(request, key, body, work)


@router.get("/support-requests")
async def get_support_requests(
    request: Request,
    status: Annotated[list[Literal["open", "matched", "done", "withdrawn"]] | None, Query()] = None,
    kind: SupportKind | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[dict[str, Any]]:
    """Support requests with their matches; by default the open and matched ones."""
    wanted = status or ["open", "matched"]
    async with pool_of(request).acquire() as conn:
        return await support_requests(conn, wanted, kind.value if kind else None, limit)


@router.get("/support-requests/{request_id}")
async def get_support_request(request_id: UUID, request: Request) -> dict[str, Any]:
    async with pool_of(request).acquire() as conn:
        return _found(await support_request(conn, request_id), request_id)


@router.post("/support-requests/{request_id}/withdrawal", status_code=200, responses=REFUSALS)
async def post_request_withdrawal(
    request_id: UUID, body: RequestWithdrawal, request: Request, key: IdempotencyKey
) -> JSONResponse:
    """The person no longer needs the help; open matches are withdrawn with the request."""

    async def work(conn: asyncpg.Connection) -> tuple[int, Any]:
        _found(await support_request(conn, request_id), request_id)
        await support.withdraw_request(
            conn, store_of(request), request_id, body.reason, datetime.now(UTC)
        )
        return 200, {"request_id": str(request_id), "status": "withdrawn"}

    return await answer(request, key, body, work)


@router.post("/offers", status_code=201, responses=REFUSALS)
async def post_offer(body: OfferBody, request: Request, key: IdempotencyKey) -> JSONResponse:
    """A partner offers rides, tickets, a job or remote work; the answer lists the requests it
    was proposed to."""

    async def work(conn: asyncpg.Connection) -> tuple[int, Any]:
        offer_id, proposals = await support.publish_offer(
            conn,
            store_of(request),
            kind=OfferKind(body.kind),
            country=body.country,
            city=body.city,
            profession=body.profession if isinstance(body, WorkOffer) else None,
            skills=tuple(dict.fromkeys(body.skills)) if isinstance(body, WorkOffer) else (),
            languages=tuple(dict.fromkeys(body.languages)),
            places=body.places,
            details=body.details(),
            now=datetime.now(UTC),
        )
        return 201, {"offer_id": str(offer_id), "status": "open", "proposed": proposals}

    return await answer(request, key, body, work)


@router.get("/offers")
async def get_offers(
    request: Request,
    status: Annotated[list[Literal["open", "full", "withdrawn"]] | None, Query()] = None,
    kind: OfferKind | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[dict[str, Any]]:
    """Partners' offers; by default the open ones."""
    wanted = status or ["open"]
    async with pool_of(request).acquire() as conn:
        return await offers(conn, wanted, kind.value if kind else None, limit)


@router.post("/offers/{offer_id}/withdrawal", status_code=200, responses=REFUSALS)
async def post_offer_withdrawal(
    offer_id: UUID, request: Request, key: IdempotencyKey
) -> JSONResponse:
    """The partner withdraws the offer; its open matches are withdrawn, their requests wait."""

    async def work(conn: asyncpg.Connection) -> tuple[int, Any]:
        if not await offer_exists(conn, offer_id):
            raise Problem(404, "No such offer", f"No offer {offer_id} was published.")
        await support.withdraw_offer(conn, store_of(request), offer_id, datetime.now(UTC))
        return 200, {"offer_id": str(offer_id), "status": "withdrawn"}

    return await answer(request, key, None, work)


@router.get("/matches")
async def get_matches(
    request: Request,
    status: Annotated[
        list[Literal["proposed", "accepted", "done", "withdrawn"]] | None, Query()
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[dict[str, Any]]:
    """Matches between requests and offers; by default the proposed and accepted ones."""
    wanted = status or ["proposed", "accepted"]
    async with pool_of(request).acquire() as conn:
        return await matches(conn, wanted, limit)


async def _match_step(
    request: Request,
    match_id: UUID,
    key: str,
    body: BaseModel | None,
    step: Callable[[asyncpg.Connection], Awaitable[None]],
) -> JSONResponse:
    async def work(conn: asyncpg.Connection) -> tuple[int, Any]:
        if await match(conn, match_id) is None:
            raise Problem(404, "No such match", f"No match {match_id} was proposed.")
        await step(conn)
        return 200, await match(conn, match_id)

    return await answer(request, key, body, work)


@router.post("/matches/{match_id}/acceptance", status_code=200, responses=REFUSALS)
async def post_acceptance(match_id: UUID, request: Request, key: IdempotencyKey) -> JSONResponse:
    """The person and the partner agree: the match holds one of the offer's places."""
    store, now = store_of(request), datetime.now(UTC)
    return await _match_step(
        request, match_id, key, None,
        lambda conn: support.accept_match(conn, store, match_id, now),
    )  # fmt: skip


@router.post("/matches/{match_id}/completion", status_code=200, responses=REFUSALS)
async def post_completion(match_id: UUID, request: Request, key: IdempotencyKey) -> JSONResponse:
    """The ride was taken, the job started: the match and its request are done."""
    store, now = store_of(request), datetime.now(UTC)
    return await _match_step(
        request, match_id, key, None,
        lambda conn: support.complete_match(conn, store, match_id, now),
    )  # fmt: skip


@router.post("/matches/{match_id}/withdrawal", status_code=200, responses=REFUSALS)
async def post_match_withdrawal(
    match_id: UUID, body: MatchWithdrawal, request: Request, key: IdempotencyKey
) -> JSONResponse:
    """The match will not go ahead (declined, or other); its place, if held, is free again."""
    store, now = store_of(request), datetime.now(UTC)
    return await _match_step(
        request, match_id, key, body,
        lambda conn: support.withdraw_match(conn, store, match_id, body.reason, now),
    )  # fmt: skip


def _found(found: dict[str, Any] | None, request_id: UUID) -> dict[str, Any]:
    if found is None:
        raise Problem(404, "No such request", f"No support request {request_id} was made.")
    return found
