"""Partners' offers for the way forward (rides, tickets, a job, remote work): published with the
requests they were proposed to, listed, withdrawn."""

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
from services.aid.api.support_requests import City
from services.aid.app import support
from services.aid.domain.support_offer import OfferDetails
from services.aid.events import Country, Language, Tag
from services.aid.support_queries import offer_exists, offers
from shared.http import Problem, examples
from shared.schemas.aid import OfferKind

router = APIRouter(prefix="/v1", dependencies=OPERATOR, tags=["support"])


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
    model_config = examples(
        {"kind": "ride", "partner": "Volunteer drivers of Oral",
         "title": "Minivan to Tbilisi, leaving Saturday morning",
         "country": "GE", "city": "Tbilisi", "places": 6, "languages": ["ru"]}
    )  # fmt: skip

    kind: Literal["ride", "ticket"]
    country: Country = Field(description="Destination country, ISO 3166-1 alpha-2.")
    city: City | None = None


class WorkOffer(_OfferBase):
    model_config = examples(
        {"kind": "job", "partner": "Oral IT hub", "title": "Backend developer",
         "profession": "software_developer", "skills": ["python"], "country": "KZ",
         "city": "Oral", "languages": ["ru", "en"]}
    )  # fmt: skip

    kind: Literal["job", "remote_work"]
    profession: Tag | None = None
    skills: list[Tag] = Field(default_factory=list, max_length=30)
    country: Country | None = Field(default=None, description="Where the job is (not remote).")
    city: City | None = None


OfferBody = Annotated[TravelOffer | WorkOffer, Field(discriminator="kind")]


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
