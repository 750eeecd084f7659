"""Support for the way forward, the partner's side: an offer (a ride, tickets, a job) owns its
places; a match accepted takes one, a match withdrawn gives it back."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from services.aid.events import OfferDetailsRecorded
from shared.decision import Decider, DomainError, Stamp, stamp
from shared.schemas.aid import (
    OfferKind,
    OfferPlaceReleased,
    OfferPlaceTaken,
    OfferPublished,
    OfferWithdrawn,
)
from shared.schemas.base import DomainEvent


@dataclass(frozen=True)
class OfferDetails:
    """What the partner says of the offer, kept in aid's store and never published: recorded
    whole in OfferDetailsRecorded, whose fields carry these names."""

    partner: str
    title: str
    description: str | None = None
    contact: str | None = None
    available_until: date | None = None


@dataclass(frozen=True)
class PublishOffer:
    offer_id: UUID
    kind: OfferKind
    country: str | None
    city: str | None
    profession: str | None
    skills: tuple[str, ...]
    languages: tuple[str, ...]
    places: int
    details: OfferDetails
    actor: str
    now: datetime


@dataclass(frozen=True)
class _MatchPlace:
    """What the offer is told of a match that holds one of its places."""

    offer_id: UUID
    match_id: UUID
    request_id: UUID
    actor: str
    now: datetime


@dataclass(frozen=True)
class TakePlace(_MatchPlace):
    """The match was accepted: it takes a place (refused when none is left)."""


@dataclass(frozen=True)
class ReleasePlace(_MatchPlace):
    """The match was withdrawn: the place it held, if any, is free again."""


@dataclass(frozen=True)
class WithdrawOffer:
    offer_id: UUID
    actor: str
    now: datetime


OfferCommand = PublishOffer | TakePlace | ReleasePlace | WithdrawOffer


@dataclass(frozen=True)
class Offer:
    status: Literal["new", "open", "withdrawn"] = "new"
    places: int = 0
    holders: frozenset[UUID] = frozenset()


class OfferStamp(Stamp):
    """What every event of an offer's stream records first: who, when, which offer."""

    offer_id: UUID


def require_published(state: Offer, offer_id: UUID) -> None:
    """Only a published offer takes a place, gives one back or is withdrawn."""
    if state.status == "new":
        raise DomainError(f"there is no offer {offer_id}")


def decide_offer(command: OfferCommand, state: Offer) -> list[DomainEvent]:
    at: OfferStamp = {**stamp(command), "offer_id": command.offer_id}
    if isinstance(command, PublishOffer):
        return _publish(command, state, at)
    require_published(state, command.offer_id)
    if isinstance(command, WithdrawOffer):
        return [] if state.status == "withdrawn" else [OfferWithdrawn(**at)]
    ids: dict[str, Any] = {"match_id": command.match_id, "request_id": command.request_id}
    if isinstance(command, ReleasePlace):
        return [OfferPlaceReleased(**at, **ids)] if command.match_id in state.holders else []
    if command.match_id in state.holders:
        return []
    if state.status == "withdrawn":
        raise DomainError("the offer was withdrawn")
    if len(state.holders) >= state.places:
        raise DomainError(f"all {state.places} place(s) of the offer are taken")
    return [OfferPlaceTaken(**at, **ids)]


def _publish(command: PublishOffer, state: Offer, at: OfferStamp) -> list[DomainEvent]:
    if state.status != "new":
        return []
    travel = command.kind in (OfferKind.RIDE, OfferKind.TICKET)
    if travel and command.country is None:
        raise DomainError("a ride or ticket needs its destination country")
    if not travel and command.profession is None and not command.skills:
        raise DomainError("a job needs a profession or skills to be matched on")
    return [
        OfferPublished(
            **at,
            kind=command.kind,
            country=command.country,
            profession=command.profession,
            skills=command.skills,
            languages=command.languages,
            places=command.places,
        ),
        OfferDetailsRecorded(**at, city=command.city, **asdict(command.details)),
    ]


def evolve_offer(state: Offer, event: DomainEvent) -> Offer:
    if isinstance(event, OfferPublished):
        return Offer("open", event.places, frozenset())
    if isinstance(event, OfferWithdrawn):
        return replace(state, status="withdrawn")
    if isinstance(event, OfferPlaceTaken):
        return replace(state, holders=state.holders | {event.match_id})
    if isinstance(event, OfferPlaceReleased):
        return replace(state, holders=state.holders - {event.match_id})
    return state


support_offer: Decider[OfferCommand, Offer] = Decider(Offer(), decide_offer, evolve_offer)
