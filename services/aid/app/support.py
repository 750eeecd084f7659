"""Aid's use cases for the way forward: requests and offers, the matches the service proposes
between them, and the statuses that follow (accepted, done, withdrawn).

When a use case appends to requests and offers both, it appends to the requests first, in the
order of their ids, then to the offer: every writer waits in the same order, none deadlocks.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID, uuid4

import asyncpg

from services.aid.app.erased import refuse_if_erased
from services.aid.app.streams import load
from services.aid.domain.beneficiary import beneficiary
from services.aid.domain.matching import (
    OfferProfile,
    RequestProfile,
    match_id_of,
    offers_for,
    requests_for,
)
from services.aid.domain.support_offer import (
    OfferDetails,
    PublishOffer,
    ReleasePlace,
    TakePlace,
    WithdrawOffer,
    require_published,
    support_offer,
)
from services.aid.domain.support_request import (
    AcceptMatch,
    CompleteMatch,
    MatchWithdrawalReason,
    ProposeMatch,
    RequestDetails,
    RequestSupport,
    WithdrawalReason,
    WithdrawMatch,
    WithdrawRequest,
    support_request,
)
from services.aid.matching_queries import (
    MatchOf,
    offers_fitting,
    open_matches_of_offer,
    open_requests_among,
    proposed_match,
    requests_fitting,
)
from services.aid.request_details import keep_request_details
from shared.decider import execute
from shared.decision import DomainError
from shared.eventstore import Causation, EventStore
from shared.schemas.aid import MatchBasis, MatchWithdrawn, OfferKind, SupportKind

ACTOR = "operator"
SERVICE = "service:aid"

Proposal = dict[str, str]


class UnknownMatch(DomainError):
    pass


async def request_support(
    conn: asyncpg.Connection,
    store: EventStore,
    *,
    person_id: UUID,
    kind: SupportKind,
    destination_country: str | None,
    details: RequestDetails,
    now: datetime,
) -> tuple[UUID, list[Proposal]]:
    """Record the request and propose the offers that fit it best."""
    await refuse_if_erased(conn, person_id)
    request_id, causation = uuid4(), Causation.new()
    requester = (await load(conn, store, beneficiary, str(person_id))).recipient
    command = RequestSupport(
        request_id, person_id, kind, destination_country, requester, ACTOR, now
    )
    await keep_request_details(conn, request_id, person_id, details)
    profile = RequestProfile(
        request_id, kind, destination_country, details.destination_city, details.profession,
        frozenset(details.skills), frozenset(details.languages), frozenset(details.work_countries),
        details.remote_ok,
    )  # fmt: skip
    fitting = offers_for(profile, await offers_fitting(conn, profile))
    proposals = [_proposed(request_id, offer.offer_id, basis, now) for offer, basis in fitting]
    # the request and its proposals in one append to the new stream (one by one, each
    # proposal read the stream and appended again: twenty round trips for five)
    await execute(
        conn, store, support_request, str(request_id), command, causation,
        new_stream=True, then=proposals,
    )  # fmt: skip
    return request_id, [_proposal(proposal) for proposal in proposals]


async def publish_offer(
    conn: asyncpg.Connection,
    store: EventStore,
    *,
    kind: OfferKind,
    country: str | None,
    city: str | None,
    profession: str | None,
    skills: tuple[str, ...],
    languages: tuple[str, ...],
    places: int,
    details: OfferDetails,
    now: datetime,
) -> tuple[UUID, list[Proposal]]:
    """Record the offer and propose it to the open requests it fits best."""
    offer_id, causation = uuid4(), Causation.new()
    command = PublishOffer(
        offer_id, kind, country, city, profession, skills, languages, places, details, ACTOR, now
    )
    await execute(conn, store, support_offer, str(offer_id), command, causation)
    profile = OfferProfile(
        offer_id, kind, country, city, profession, frozenset(skills), frozenset(languages)
    )
    chosen = requests_for(profile, await requests_fitting(conn, profile))
    proposals = []
    for request, basis in sorted(chosen, key=lambda pair: pair[0].request_id):
        proposals.append(await _propose(conn, store, request.request_id, offer_id, basis, now))
    return offer_id, proposals


async def _propose(
    conn: asyncpg.Connection,
    store: EventStore,
    request_id: UUID,
    offer_id: UUID,
    basis: MatchBasis,
    now: datetime,
) -> Proposal:
    command = _proposed(request_id, offer_id, basis, now)
    await execute(conn, store, support_request, str(request_id), command, Causation.new())
    return _proposal(command)


def _proposed(request_id: UUID, offer_id: UUID, basis: MatchBasis, now: datetime) -> ProposeMatch:
    return ProposeMatch(
        request_id, match_id_of(request_id, offer_id), offer_id, basis, SERVICE, now
    )


def _proposal(proposed: ProposeMatch) -> Proposal:
    return {
        "match_id": str(proposed.match_id),
        "request_id": str(proposed.request_id),
        "offer_id": str(proposed.offer_id),
        "basis": proposed.basis.value,
    }


async def _match(conn: asyncpg.Connection, match_id: UUID) -> MatchOf:
    match = await proposed_match(conn, match_id)
    if match is None:
        raise UnknownMatch(f"no match {match_id} was proposed")
    return match


async def accept_match(
    conn: asyncpg.Connection, store: EventStore, match_id: UUID, now: datetime
) -> None:
    """The person and the partner agree: the request is matched and holds one of the offer's
    places (refused when none is left)."""
    match, causation = await _match(conn, match_id), Causation.new()
    accept = AcceptMatch(match.request_id, match_id, ACTOR, now)
    await execute(conn, store, support_request, str(match.request_id), accept, causation)
    take = TakePlace(match.offer_id, match_id, match.request_id, ACTOR, now)
    await execute(conn, store, support_offer, str(match.offer_id), take, causation)


async def complete_match(
    conn: asyncpg.Connection, store: EventStore, match_id: UUID, now: datetime
) -> None:
    match = await _match(conn, match_id)
    command = CompleteMatch(match.request_id, match_id, ACTOR, now)
    await execute(conn, store, support_request, str(match.request_id), command, Causation.new())


async def withdraw_match(
    conn: asyncpg.Connection,
    store: EventStore,
    match_id: UUID,
    now: datetime,
    *,
    reason: MatchWithdrawalReason,
) -> None:
    match, causation = await _match(conn, match_id), Causation.new()
    command = WithdrawMatch(match.request_id, match_id, reason, ACTOR, now)
    await execute(conn, store, support_request, str(match.request_id), command, causation)
    release = ReleasePlace(match.offer_id, match_id, match.request_id, ACTOR, now)
    await execute(conn, store, support_offer, str(match.offer_id), release, causation)


async def withdraw_request(
    conn: asyncpg.Connection,
    store: EventStore,
    request_id: UUID,
    reason: WithdrawalReason,
    now: datetime,
) -> None:
    """The request ends; its open matches end with it, and free the places they held."""
    causation = Causation.new()
    withdrawn = await _withdraw(conn, store, request_id, reason, ACTOR, now, causation)
    await _release(conn, store, withdrawn, ACTOR, now, causation)


async def _withdraw(
    conn: asyncpg.Connection,
    store: EventStore,
    request_id: UUID,
    reason: WithdrawalReason,
    actor: str,
    now: datetime,
    causation: Causation,
) -> list[MatchWithdrawn]:
    command = WithdrawRequest(request_id, reason, actor, now)
    recorded = await execute(conn, store, support_request, str(request_id), command, causation)
    return [r.event for r in recorded if isinstance(r.event, MatchWithdrawn)]


async def _release(
    conn: asyncpg.Connection,
    store: EventStore,
    withdrawn: list[MatchWithdrawn],
    actor: str,
    now: datetime,
    causation: Causation,
) -> None:
    """Free the places of withdrawn matches, after every request was decided on."""
    for match in sorted(withdrawn, key=lambda event: (event.offer_id, event.match_id)):
        release = ReleasePlace(match.offer_id, match.match_id, match.request_id, actor, now)
        await execute(conn, store, support_offer, str(match.offer_id), release, causation)


async def withdraw_offer(
    conn: asyncpg.Connection, store: EventStore, offer_id: UUID, now: datetime
) -> None:
    """The offer ends; its open matches are withdrawn, and their requests wait again."""
    causation = Causation.new()
    require_published(await load(conn, store, support_offer, str(offer_id)), offer_id)
    open_matches = await open_matches_of_offer(conn, offer_id)
    for match in open_matches:
        command = WithdrawMatch(match.request_id, match.match_id, "offer_withdrawn", ACTOR, now)
        await execute(conn, store, support_request, str(match.request_id), command, causation)
    for match in open_matches:
        release = ReleasePlace(offer_id, match.match_id, match.request_id, ACTOR, now)
        await execute(conn, store, support_offer, str(offer_id), release, causation)
    await execute(
        conn, store, support_offer, str(offer_id), WithdrawOffer(offer_id, ACTOR, now), causation
    )


async def withdraw_requests_of(
    conn: asyncpg.Connection,
    store: EventStore,
    person_id: UUID,
    reason: WithdrawalReason,
    causation: Causation,
    now: datetime,
) -> None:
    """A person who left, or was merged away, no longer needs their open requests."""
    found = await open_requests_among(conn, [person_id])
    await withdraw_requests(conn, store, found.get(person_id, []), reason, causation, now)


async def withdraw_requests(
    conn: asyncpg.Connection,
    store: EventStore,
    request_ids: Sequence[UUID],
    reason: WithdrawalReason,
    causation: Causation,
    now: datetime,
) -> None:
    """Open requests of one person (``open_requests_among``), withdrawn by the service."""
    withdrawn: list[MatchWithdrawn] = []
    for request_id in request_ids:
        withdrawn += await _withdraw(conn, store, request_id, reason, SERVICE, now, causation)
    await _release(conn, store, withdrawn, SERVICE, now, causation)
