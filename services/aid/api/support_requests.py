"""Requests for the way forward: a person asks for help to travel on or to find work, and
aid answers with the matches it proposed at once; then the requests' statuses, and their
withdrawal."""

from __future__ import annotations

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
from services.aid.domain.support_request import RequestDetails, WithdrawalReason
from services.aid.events import Country, DocumentHeld, Language, Tag
from services.aid.support_queries import support_request, support_requests
from shared.http import Problem, examples
from shared.schemas.aid import SupportKind

router = APIRouter(prefix="/v1", dependencies=OPERATOR, tags=["support"])

Note = Annotated[str | None, Field(default=None, max_length=1000, pattern=TEXT_PATTERN)]
#: a city by name: where a request wants to go, where an offer leads or its job is
City = Annotated[str, Field(min_length=1, max_length=100, pattern=TEXT_PATTERN)]


class OnwardTravelRequest(BaseModel):
    model_config = examples(
        {"kind": "onward_travel", "person_id": "7d1c3f9e-3b1a-4c55-9e43-2f4b8f0f6a11",
         "destination_country": "GE", "destination_city": "Tbilisi",
         "documents_held": ["internal_passport"], "wanted_on": "2022-10-01"}
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
    model_config = examples(
        {"kind": "job_search", "person_id": "7d1c3f9e-3b1a-4c55-9e43-2f4b8f0f6a11",
         "profession": "software_developer", "skills": ["python", "postgresql"],
         "languages": ["ru", "en"], "work_countries": ["KZ"], "remote_ok": True}
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


class RequestWithdrawal(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: WithdrawalReason = "no_longer_needed"


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


def _found(found: dict[str, Any] | None, request_id: UUID) -> dict[str, Any]:
    if found is None:
        raise Problem(404, "No such request", f"No support request {request_id} was made.")
    return found
