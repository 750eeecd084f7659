"""Support for the way forward, the person's side: a request (onward travel, job search) owns
its matches and their statuses. Accepting a match decides on the request and on one of the
offer's places (services.aid.domain.support_offer) in one transaction."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from types import MappingProxyType
from typing import Any, Literal
from uuid import UUID

from services.aid.domain.rules import Recipient, Refused, Rule
from services.aid.events import DocumentHeld
from shared.decision import Decider, DomainError, Stamp, stamp
from shared.schemas.aid import (
    MatchAccepted,
    MatchBasis,
    MatchCompleted,
    MatchProposed,
    MatchWithdrawn,
    SupportKind,
    SupportRequested,
    SupportRequestWithdrawn,
)
from shared.schemas.base import DomainEvent

WithdrawalReason = Literal["no_longer_needed", "departed", "merged", "other"]
MatchWithdrawalReason = Literal[
    "declined", "offer_withdrawn", "request_withdrawn", "request_done", "other"
]


@dataclass(frozen=True)
class RequestDetails:
    """What a request says about its person beyond kind and country: never in an event (the
    application keeps it where an erasure reaches it), so the decider does not see it."""

    destination_city: str | None = None
    documents_held: tuple[DocumentHeld, ...] = ()
    wanted_on: date | None = None
    profession: str | None = None
    skills: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    work_countries: tuple[str, ...] = ()
    remote_ok: bool = False
    note: str | None = None


@dataclass(frozen=True)
class RequestSupport:
    request_id: UUID
    person_id: UUID
    kind: SupportKind
    destination_country: str | None
    requester: Recipient
    actor: str
    now: datetime


@dataclass(frozen=True)
class ProposeMatch:
    request_id: UUID
    match_id: UUID
    offer_id: UUID
    basis: MatchBasis
    actor: str
    now: datetime


@dataclass(frozen=True)
class AcceptMatch:
    request_id: UUID
    match_id: UUID
    actor: str
    now: datetime


@dataclass(frozen=True)
class CompleteMatch:
    request_id: UUID
    match_id: UUID
    actor: str
    now: datetime


@dataclass(frozen=True)
class WithdrawMatch:
    request_id: UUID
    match_id: UUID
    reason: MatchWithdrawalReason
    actor: str
    now: datetime


@dataclass(frozen=True)
class WithdrawRequest:
    request_id: UUID
    reason: WithdrawalReason
    actor: str
    now: datetime


RequestCommand = (
    RequestSupport | ProposeMatch | AcceptMatch | CompleteMatch | WithdrawMatch | WithdrawRequest
)
MatchStatus = Literal["proposed", "accepted", "done", "withdrawn"]
OPEN_MATCH: frozenset[MatchStatus] = frozenset({"proposed", "accepted"})


@dataclass(frozen=True)
class Match:
    offer_id: UUID
    status: MatchStatus


@dataclass(frozen=True)
class SupportRequest:
    person_id: UUID | None = None
    status: Literal["new", "open", "done", "withdrawn"] = "new"
    matches: MappingProxyType[UUID, Match] = field(default_factory=lambda: MappingProxyType({}))

    def match(self, match_id: UUID) -> Match:
        found = self.matches.get(match_id)
        if found is None:
            raise DomainError(f"match {match_id} was never proposed for this request")
        return found


class RequestClosed(DomainError):
    pass


class RequestStamp(Stamp):
    """What every event of a request's stream records first: who, when, which request."""

    request_id: UUID


def decide_request(command: RequestCommand, state: SupportRequest) -> list[DomainEvent]:
    at: RequestStamp = {**stamp(command), "request_id": command.request_id}
    if isinstance(command, RequestSupport):
        return _request(command, state, at)
    if state.status == "new":
        raise DomainError(f"there is no support request {command.request_id}")
    if isinstance(command, ProposeMatch):
        if state.status != "open" or command.match_id in state.matches:
            return []
        return [
            MatchProposed(
                **at, match_id=command.match_id, offer_id=command.offer_id, basis=command.basis
            )
        ]
    if isinstance(command, WithdrawRequest):
        if state.status == "withdrawn":
            return []
        _require_open(state)
        assert state.person_id is not None
        return [
            *_withdraw_open_matches(state, at, "request_withdrawn", keep=None),
            SupportRequestWithdrawn(**at, person_id=state.person_id, reason=command.reason),
        ]
    match = state.match(command.match_id)
    ids: dict[str, Any] = {"match_id": command.match_id, "offer_id": match.offer_id}
    if isinstance(command, WithdrawMatch):
        if match.status == "withdrawn":
            return []
        if match.status == "done":
            raise DomainError("the match is done; it cannot be withdrawn any more")
        return [MatchWithdrawn(**at, **ids, reason=command.reason)]
    if isinstance(command, AcceptMatch):
        if match.status == "accepted":
            return []
        _require_open(state)
        if match.status != "proposed":
            raise DomainError(f"the match is {match.status}; only a proposed match is accepted")
        if any(other.status == "accepted" for other in state.matches.values()):
            raise DomainError("another match of this request is accepted; withdraw it first")
        return [MatchAccepted(**at, **ids)]
    if match.status == "done":
        return []
    if match.status != "accepted":
        raise DomainError(f"the match is {match.status}; accept it before it is done")
    return [
        MatchCompleted(**at, **ids),
        *_withdraw_open_matches(state, at, "request_done", keep=command.match_id),
    ]


def _request(command: RequestSupport, state: SupportRequest, at: RequestStamp) -> list[DomainEvent]:
    if state.status != "new":
        return []
    if not command.requester.agreed:
        raise Refused(Rule.NO_CONSENT, "the person has not agreed to aid; nothing is recorded")
    if command.requester.closed is not None:
        raise RequestClosed(f"the person's case is closed ({command.requester.closed})")
    if not command.requester.known:
        raise Refused(Rule.NOT_REGISTERED, "aid does not know this person yet; try again soon")
    travel = command.kind is SupportKind.ONWARD_TRAVEL
    if travel and command.destination_country is None:
        raise DomainError("onward travel needs a destination country")
    return [
        SupportRequested(
            **at,
            person_id=command.person_id,
            kind=command.kind,
            destination_country=command.destination_country if travel else None,
        )
    ]


def _require_open(state: SupportRequest) -> None:
    if state.status != "open":
        raise RequestClosed(f"the request is {state.status}")


def _withdraw_open_matches(
    state: SupportRequest, at: RequestStamp, reason: MatchWithdrawalReason, keep: UUID | None
) -> list[DomainEvent]:
    return [
        MatchWithdrawn(**at, match_id=match_id, offer_id=match.offer_id, reason=reason)
        for match_id, match in state.matches.items()
        if match.status in OPEN_MATCH and match_id != keep
    ]


def evolve_request(state: SupportRequest, event: DomainEvent) -> SupportRequest:
    if isinstance(event, SupportRequested):
        return replace(state, person_id=event.person_id, status="open")
    if isinstance(event, SupportRequestWithdrawn):
        return replace(state, status="withdrawn")
    status: dict[type[DomainEvent], MatchStatus] = {
        MatchProposed: "proposed",
        MatchAccepted: "accepted",
        MatchCompleted: "done",
        MatchWithdrawn: "withdrawn",
    }
    new_status = status.get(type(event))
    if new_status is None:
        return state
    assert isinstance(event, MatchProposed | MatchAccepted | MatchCompleted | MatchWithdrawn)
    matches = {**state.matches, event.match_id: Match(event.offer_id, new_status)}
    done = "done" if isinstance(event, MatchCompleted) else state.status
    return replace(state, matches=MappingProxyType(matches), status=done)


support_request: Decider[RequestCommand, SupportRequest] = Decider(
    SupportRequest(), decide_request, evolve_request
)
