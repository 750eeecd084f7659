"""Which offers fit a request: the same destination for onward travel; the profession or a
skill, a shared language and a workable place for a job. Pure: the caller reads the open
requests and offers and proposes what this returns (services/aid/matching_queries.py reads
only the few that can be among the best, by the same rule)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar
from uuid import NAMESPACE_URL, UUID, uuid5

from shared.schemas.aid import MatchBasis, OfferKind, SupportKind

#: proposals per new request or offer: enough to choose from, few enough to read
MAX_PROPOSALS = 5


@dataclass(frozen=True)
class RequestProfile:
    request_id: UUID
    kind: SupportKind
    destination_country: str | None = None
    destination_city: str | None = None
    profession: str | None = None
    skills: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()
    work_countries: frozenset[str] = frozenset()
    remote_ok: bool = False


@dataclass(frozen=True)
class OfferProfile:
    offer_id: UUID
    kind: OfferKind
    country: str | None = None
    city: str | None = None
    profession: str | None = None
    skills: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()


#: what is proposed: offers to a request, or requests to an offer
Profile = TypeVar("Profile", RequestProfile, OfferProfile)

TRAVEL_OFFERS = frozenset({OfferKind.RIDE, OfferKind.TICKET})
WORK_OFFERS = frozenset({OfferKind.JOB, OfferKind.REMOTE_WORK})


def place_key(city: str | None) -> str | None:
    """A city as matching compares it: case folded (the read models keep this key beside the
    city, so the database can look requests and offers up by it); None when there is none."""
    return city.casefold() if city else None


def match_id_of(request_id: UUID, offer_id: UUID) -> UUID:
    """One match per request and offer, however often they are compared."""
    return uuid5(NAMESPACE_URL, f"urn:resettle:aid:match:{request_id}:{offer_id}")


def fit(request: RequestProfile, offer: OfferProfile) -> tuple[MatchBasis, int] | None:
    """Why the offer fits the request and how well (higher is better), or None."""
    if request.kind is SupportKind.ONWARD_TRAVEL and offer.kind in TRAVEL_OFFERS:
        if request.destination_country != offer.country:
            return None
        if request.destination_city and offer.city:
            if place_key(request.destination_city) != place_key(offer.city):
                return None
            return MatchBasis.DESTINATION, 2
        return MatchBasis.DESTINATION, 1
    if request.kind is SupportKind.JOB_SEARCH and offer.kind in WORK_OFFERS:
        same_profession = request.profession is not None and request.profession == offer.profession
        shared_skills = len(request.skills & offer.skills)
        if not same_profession and not shared_skills:
            return None
        if offer.languages and request.languages and not offer.languages & request.languages:
            return None
        if offer.kind is OfferKind.REMOTE_WORK and not request.remote_ok:
            return None
        if (
            offer.kind is OfferKind.JOB
            and request.work_countries
            and offer.country not in request.work_countries
        ):
            return None
        return MatchBasis.SKILLS, 3 * same_profession + shared_skills
    return None


def offers_for(
    request: RequestProfile, offers: Iterable[OfferProfile]
) -> list[tuple[OfferProfile, MatchBasis]]:
    """The best-fitting offers for a request, best first (ties: in the order given)."""
    return _best((offer, fit(request, offer)) for offer in offers)


def requests_for(
    offer: OfferProfile, requests: Iterable[RequestProfile]
) -> list[tuple[RequestProfile, MatchBasis]]:
    """The requests an offer fits best, best first (ties: in the order given)."""
    return _best((request, fit(request, offer)) for request in requests)


def _best(
    candidates: Iterable[tuple[Profile, tuple[MatchBasis, int] | None]],
) -> list[tuple[Profile, MatchBasis]]:
    """The candidates that fit, the best MAX_PROPOSALS of them, best first; the sort is stable,
    so ties keep the order given."""
    fitting = [(candidate, found) for candidate, found in candidates if found]
    fitting.sort(key=lambda pair: -pair[1][1])
    return [(candidate, basis) for candidate, (basis, _) in fitting[:MAX_PROPOSALS]]
