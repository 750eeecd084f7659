"""Support for the way forward (onward travel, jobs): requests, offers and the matches between
them. Only codes, ids and coarse facts; a request's details stay in aid's own event store."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal
from uuid import UUID

from pydantic import Field

from shared.schemas.aid.items import COUNTRY_PATTERN, TAG_PATTERN
from shared.schemas.base import DomainEvent


class SupportKind(StrEnum):
    ONWARD_TRAVEL = "onward_travel"
    JOB_SEARCH = "job_search"


class OfferKind(StrEnum):
    RIDE = "ride"
    TICKET = "ticket"
    JOB = "job"
    REMOTE_WORK = "remote_work"


class MatchBasis(StrEnum):
    DESTINATION = "destination"
    SKILLS = "skills"


class SupportRequested(DomainEvent):
    """A person asked for help to travel on or to find work (details stay in aid)."""

    stream_field = "request_id"
    type: Literal["SupportRequested"] = "SupportRequested"
    schema_version: Literal[2] = 2
    request_id: UUID = Field(description="Id of the request (the stream).")
    person_id: UUID = Field(description="Pseudonymous id of the person.")
    kind: SupportKind = Field(description="Onward travel or job search.")
    destination_country: str | None = Field(
        pattern=COUNTRY_PATTERN,
        description="Onward travel: ISO 3166-1 alpha-2 code of the destination country.",
    )


class SupportRequestWithdrawn(DomainEvent):
    """A request will not be followed any more."""

    stream_field = "request_id"
    type: Literal["SupportRequestWithdrawn"] = "SupportRequestWithdrawn"
    schema_version: Literal[2] = 2
    request_id: UUID = Field(description="The request (the stream).")
    person_id: UUID = Field(description="Pseudonymous id of the person.")
    reason: Literal["no_longer_needed", "departed", "merged", "other"] = Field(description="Why.")


class MatchProposed(DomainEvent):
    """Aid proposed an offer for a request: same destination, or fitting skills."""

    stream_field = "request_id"
    type: Literal["MatchProposed"] = "MatchProposed"
    schema_version: Literal[2] = 2
    request_id: UUID = Field(description="The request (the stream).")
    match_id: UUID = Field(description="Id of the match.")
    offer_id: UUID = Field(description="The offer proposed.")
    basis: MatchBasis = Field(description="Why it fits.")


class MatchAccepted(DomainEvent):
    """The person and the partner agreed: the offer's place is held for the request."""

    stream_field = "request_id"
    type: Literal["MatchAccepted"] = "MatchAccepted"
    schema_version: Literal[2] = 2
    request_id: UUID = Field(description="The request (the stream).")
    match_id: UUID = Field(description="The match.")
    offer_id: UUID = Field(description="The offer.")


class MatchCompleted(DomainEvent):
    """The ride was taken or the job started: the request is done."""

    stream_field = "request_id"
    type: Literal["MatchCompleted"] = "MatchCompleted"
    schema_version: Literal[2] = 2
    request_id: UUID = Field(description="The request (the stream).")
    match_id: UUID = Field(description="The match.")
    offer_id: UUID = Field(description="The offer.")


class MatchWithdrawn(DomainEvent):
    """A proposed or accepted match will not go ahead."""

    stream_field = "request_id"
    type: Literal["MatchWithdrawn"] = "MatchWithdrawn"
    schema_version: Literal[2] = 2
    request_id: UUID = Field(description="The request (the stream).")
    match_id: UUID = Field(description="The match.")
    offer_id: UUID = Field(description="The offer.")
    reason: Literal["declined", "offer_withdrawn", "request_withdrawn", "request_done", "other"] = (
        Field(description="Why.")
    )


class OfferPublished(DomainEvent):
    """A partner offered rides, tickets, a job or remote work (its free text and its city,
    typed by the partner, stay in aid: services/aid/events.py)."""

    stream_field = "offer_id"
    type: Literal["OfferPublished"] = "OfferPublished"
    schema_version: Literal[2] = 2
    offer_id: UUID = Field(description="Id of the offer (the stream).")
    kind: OfferKind = Field(description="What is offered.")
    country: str | None = Field(
        pattern=COUNTRY_PATTERN,
        description="Rides and tickets: destination country; jobs: country of the workplace.",
    )
    profession: str | None = Field(pattern=TAG_PATTERN, description="Jobs: profession wanted.")
    skills: tuple[Annotated[str, Field(pattern=TAG_PATTERN)], ...] = Field(
        max_length=30, description="Jobs: skills wanted, as tags."
    )
    languages: tuple[Annotated[str, Field(pattern=r"^[a-z]{2}$")], ...] = Field(
        max_length=10, description="Languages needed, ISO 639-1 (any one of them is enough)."
    )
    places: int = Field(ge=1, le=1000, description="Seats, tickets or positions offered.")


class OfferWithdrawn(DomainEvent):
    """The partner withdrew an offer: its open matches are withdrawn too."""

    stream_field = "offer_id"
    type: Literal["OfferWithdrawn"] = "OfferWithdrawn"
    schema_version: Literal[2] = 2
    offer_id: UUID = Field(description="The offer (the stream).")


class OfferPlaceTaken(DomainEvent):
    """An accepted match holds one of the offer's places."""

    stream_field = "offer_id"
    type: Literal["OfferPlaceTaken"] = "OfferPlaceTaken"
    schema_version: Literal[2] = 2
    offer_id: UUID = Field(description="The offer (the stream).")
    match_id: UUID = Field(description="The match holding the place.")
    request_id: UUID = Field(description="The request of the match.")


class OfferPlaceReleased(DomainEvent):
    """An accepted match was withdrawn: its place is free again."""

    stream_field = "offer_id"
    type: Literal["OfferPlaceReleased"] = "OfferPlaceReleased"
    schema_version: Literal[2] = 2
    offer_id: UUID = Field(description="The offer (the stream).")
    match_id: UUID = Field(description="The match that held the place.")
    request_id: UUID = Field(description="The request of the match.")
