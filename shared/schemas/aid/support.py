"""Support for the way forward (onward travel, jobs): requests, offers and the matches between
them. Only codes, ids and coarse facts; a request's details stay in aid's own event store."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal
from uuid import UUID

from pydantic import Field

from shared.schemas.aid.items import COUNTRY_PATTERN, TAG_PATTERN
from shared.schemas.base import TopicEvent


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


class _RequestEvent(TopicEvent):
    """An event in a support request's stream."""

    stream_field = "request_id"
    request_id: UUID = Field(description="The request (the stream).")


class _MatchEvent(_RequestEvent):
    """An event about one match of a request with an offer (an event below that says more
    about a field declares it again, with its own description)."""

    match_id: UUID = Field(description="The match.")
    offer_id: UUID = Field(description="The offer.")


class _OfferEvent(TopicEvent):
    """An event in an offer's stream."""

    stream_field = "offer_id"
    offer_id: UUID = Field(description="The offer (the stream).")


class SupportRequested(_RequestEvent):
    """A person asked for help to travel on or to find work (details stay in aid)."""

    type: Literal["SupportRequested"] = "SupportRequested"
    request_id: UUID = Field(description="Id of the request (the stream).")
    person_id: UUID = Field(description="Pseudonymous id of the person.")
    kind: SupportKind = Field(description="Onward travel or job search.")
    destination_country: str | None = Field(
        pattern=COUNTRY_PATTERN,
        description="Onward travel: ISO 3166-1 alpha-2 code of the destination country.",
    )


class SupportRequestWithdrawn(_RequestEvent):
    """A request will not be followed any more."""

    type: Literal["SupportRequestWithdrawn"] = "SupportRequestWithdrawn"
    person_id: UUID = Field(description="Pseudonymous id of the person.")
    reason: Literal["no_longer_needed", "departed", "merged", "other"] = Field(description="Why.")


class MatchProposed(_MatchEvent):
    """Aid proposed an offer for a request: same destination, or fitting skills."""

    type: Literal["MatchProposed"] = "MatchProposed"
    match_id: UUID = Field(description="Id of the match.")
    offer_id: UUID = Field(description="The offer proposed.")
    basis: MatchBasis = Field(description="Why it fits.")


class MatchAccepted(_MatchEvent):
    """The person and the partner agreed: the offer's place is held for the request."""

    type: Literal["MatchAccepted"] = "MatchAccepted"


class MatchCompleted(_MatchEvent):
    """The ride was taken or the job started: the request is done."""

    type: Literal["MatchCompleted"] = "MatchCompleted"


class MatchWithdrawn(_MatchEvent):
    """A proposed or accepted match will not go ahead."""

    type: Literal["MatchWithdrawn"] = "MatchWithdrawn"
    reason: Literal["declined", "offer_withdrawn", "request_withdrawn", "request_done", "other"] = (
        Field(description="Why.")
    )


class OfferPublished(_OfferEvent):
    """A partner offered rides, tickets, a job or remote work (its free text and its city,
    typed by the partner, stay in aid: services/aid/events.py)."""

    type: Literal["OfferPublished"] = "OfferPublished"
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


class OfferWithdrawn(_OfferEvent):
    """The partner withdrew an offer: its open matches are withdrawn too."""

    type: Literal["OfferWithdrawn"] = "OfferWithdrawn"


class OfferPlaceTaken(_OfferEvent):
    """An accepted match holds one of the offer's places."""

    type: Literal["OfferPlaceTaken"] = "OfferPlaceTaken"
    match_id: UUID = Field(description="The match holding the place.")
    request_id: UUID = Field(description="The request of the match.")


class OfferPlaceReleased(_OfferEvent):
    """An accepted match was withdrawn: its place is free again."""

    type: Literal["OfferPlaceReleased"] = "OfferPlaceReleased"
    match_id: UUID = Field(description="The match that held the place.")
    request_id: UUID = Field(description="The request of the match.")
