"""The folds of the way forward: support requests, the offers of partners, and the matches
between them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import get_args

from services.aid.domain.matching import place_key
from services.aid.events import OfferDetailsRecorded
from services.aid.read_models.rows import (
    Change,
    Read,
    Rows,
    SupportMatch,
    SupportOffer,
    SupportRequest,
    TableFold,
)
from shared.schemas.aid import (
    MatchAccepted,
    MatchCompleted,
    MatchProposed,
    MatchWithdrawn,
    OfferPlaceReleased,
    OfferPlaceTaken,
    OfferPublished,
    OfferWithdrawn,
    SupportRequested,
    SupportRequestWithdrawn,
)
from shared.schemas.base import DomainEvent

MatchOutcome = MatchAccepted | MatchCompleted | MatchWithdrawn
MATCH_STATUS_AFTER: dict[type[DomainEvent], str] = {
    MatchAccepted: "accepted", MatchCompleted: "done", MatchWithdrawn: "withdrawn",
}  # fmt: skip
RequestEvent = SupportRequested | SupportRequestWithdrawn | MatchOutcome
MatchEvent = MatchProposed | MatchOutcome
OfferEvent = (
    OfferPublished | OfferDetailsRecorded | OfferWithdrawn | OfferPlaceTaken | OfferPlaceReleased
)


def request_status_after(event: MatchOutcome, match_before: str | None) -> str | None:
    """The status a match's outcome gives its request (an open or matched one), if any."""
    status = {MatchAccepted: "matched", MatchCompleted: "done"}.get(type(event))
    if status is None and match_before == "accepted":
        return "open"  # the accepted match fell through: the request waits again
    return status


def request_reads(event: RequestEvent) -> Sequence[Read]:
    if isinstance(event, SupportRequested):
        return ()
    request: Read = (SupportRequest, (event.request_id,))
    if isinstance(event, SupportRequestWithdrawn):
        return (request,)
    return request, (SupportMatch, (event.match_id,))


def request_fold(event: RequestEvent, version: int, rows: Rows) -> Sequence[Change]:
    if isinstance(event, SupportRequested):  # its details follow, from outside the events
        return (
            SupportRequest(
                event.request_id, event.person_id, event.kind.value, "open",
                event.destination_country, event.occurred_at,
            ),
        )  # fmt: skip
    request = rows.get(SupportRequest, (event.request_id,))
    if request is None:
        return ()
    if isinstance(event, SupportRequestWithdrawn):
        return (
            request._replace(
                status="withdrawn", closed_at=event.occurred_at, withdrawn_reason=event.reason
            ),
        )
    match = rows.get(SupportMatch, (event.match_id,))
    status = request_status_after(event, match.status if match else None)
    if status is None or request.status not in ("open", "matched"):
        return ()
    closed_at = event.occurred_at if status == "done" else None
    return (request._replace(status=status, closed_at=closed_at),)


def match_reads(event: MatchEvent) -> Sequence[Read]:
    return () if isinstance(event, MatchProposed) else ((SupportMatch, (event.match_id,)),)


def match_fold(event: MatchEvent, version: int, rows: Rows) -> Sequence[Change]:
    if isinstance(event, MatchProposed):
        return (
            SupportMatch(
                event.match_id, event.request_id, event.offer_id, event.basis.value, "proposed",
                event.occurred_at, event.occurred_at,
            ),
        )  # fmt: skip
    match = rows.get(SupportMatch, (event.match_id,))
    if match is None:
        return ()
    reason = event.reason if isinstance(event, MatchWithdrawn) else None
    status = MATCH_STATUS_AFTER[type(event)]
    return (match._replace(status=status, updated_at=event.occurred_at, withdrawn_reason=reason),)


def offer_reads(event: OfferEvent) -> Sequence[Read]:
    return () if isinstance(event, OfferPublished) else ((SupportOffer, (event.offer_id,)),)


def offer_fold(event: OfferEvent, version: int, rows: Rows) -> Sequence[Change]:
    """An offer as published, described (its city and contact stay in aid), withdrawn and
    filled."""
    if isinstance(event, OfferPublished):
        return (
            SupportOffer(
                event.offer_id, event.kind.value, "open", event.country, None, event.profession,
                list(event.skills), list(event.languages), event.places, event.occurred_at,
            ),
        )  # fmt: skip
    offer = rows.get(SupportOffer, (event.offer_id,))
    if offer is None:
        return ()
    if isinstance(event, OfferDetailsRecorded):
        return (
            offer._replace(
                partner=event.partner, title=event.title, description=event.description,
                contact=event.contact, available_until=event.available_until, city=event.city,
                city_key=place_key(event.city),
            ),
        )  # fmt: skip
    if isinstance(event, OfferWithdrawn):
        return (offer._replace(status="withdrawn", withdrawn_at=event.occurred_at),)
    taken = offer.places_taken + (1 if isinstance(event, OfferPlaceTaken) else -1)
    status = offer.status  # a withdrawn offer stays withdrawn
    if status != "withdrawn":
        status = "full" if taken >= offer.places else "open"
    return (offer._replace(places_taken=taken, status=status),)


SUPPORT_REQUESTS = TableFold(SupportRequest, get_args(RequestEvent), request_reads, request_fold)
SUPPORT_MATCHES = TableFold(SupportMatch, get_args(MatchEvent), match_reads, match_fold)
SUPPORT_OFFERS = TableFold(SupportOffer, get_args(OfferEvent), offer_reads, offer_fold)
