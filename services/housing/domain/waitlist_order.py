"""The order of the waitlist, and who of those waiting is offered a freed place together.
The API shows the waitlist in this order and freed places are offered in it, so an operator
sees who is next."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from shared.schemas.shelters import Requirements


@dataclass(frozen=True)
class WaitingPerson:
    person_id: UUID
    arrival_id: UUID
    since: datetime
    priority: bool
    keep_together: bool
    reason: str
    needs_accessible: bool
    needs_family: bool
    all_women: bool


@dataclass(frozen=True)
class WaitingParty:
    """People offered a place together: their arrival, their ids in id order, and the needs
    of all of them."""

    arrival_id: UUID
    person_ids: tuple[UUID, ...]
    priority: bool
    since: datetime
    requirements: Requirements


def waitlist_order(people: Iterable[WaitingPerson]) -> list[WaitingPerson]:
    """The vulnerable first, then first come; one arrival's people side by side."""
    return sorted(people, key=lambda p: (not p.priority, p.since, p.arrival_id, p.person_id))


def position_on_waitlist(person_id: UUID, people: Iterable[WaitingPerson]) -> int | None:
    """Where a person stands on the waitlist, counted from 1; None when they do not wait."""
    for position, person in enumerate(waitlist_order(people), start=1):
        if person.person_id == person_id:
            return position
    return None


def waiting_parties(people: Iterable[WaitingPerson]) -> list[WaitingParty]:
    """Those waiting, as parties in the order freed places are offered to them: a group that
    keeps together is one party, everyone else waits alone. A party is as urgent as its most
    vulnerable member, waits since its first, and needs what any of them needs (women-only
    rooms only if all are women)."""
    groups: dict[tuple[UUID, UUID | None], list[WaitingPerson]] = {}
    for person in people:
        alone = None if person.keep_together else person.person_id
        groups.setdefault((person.arrival_id, alone), []).append(person)
    parties = [_party(members) for members in groups.values()]
    return sorted(parties, key=lambda p: (not p.priority, p.since, p.arrival_id, p.person_ids))


def first_parties(
    head: Sequence[WaitingPerson], together: Iterable[WaitingPerson]
) -> list[WaitingParty]:
    """The first parties of the waitlist, from the people at its head (``head``, the first
    in waitlist_order) and whoever waits to be placed together with one of them
    (``together``): the parties that have someone at the head, in waiting_parties' order.
    A party's people were waitlisted at once, so they wait as long and as urgently as it does
    and side by side: the parties of the first n people are the first parties, and freeing a
    place reads the head of the waitlist, not all of it. (A group whose people were waitlisted
    apart, one of them restored by an undone merge, is still offered places whole, once one
    of its people reaches the head.)"""
    at_head = {person.person_id for person in head}
    everyone = {person.person_id: person for person in (*head, *together)}
    return [
        party
        for party in waiting_parties(everyone.values())
        if not at_head.isdisjoint(party.person_ids)
    ]


def _party(members: Sequence[WaitingPerson]) -> WaitingParty:
    needs = Requirements(
        accessible=any(member.needs_accessible for member in members),
        family_room=any(member.needs_family for member in members),
        all_women=all(member.all_women for member in members),
    )
    return WaitingParty(
        arrival_id=members[0].arrival_id,
        person_ids=tuple(sorted(member.person_id for member in members)),
        priority=any(member.priority for member in members),
        since=min(member.since for member in members),
        requirements=needs,
    )
