"""What housing decides from where a person stands (their placement's status in the read
model, or none): whom an arrival places, in which parties, what a departure does, who may be
moved. One place per person starts here: a person who holds a place or waits for one is not
placed again (the shelter decider and the read model's guard back it up)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Literal
from uuid import UUID

from shared.schemas.housing import ReleaseReason
from shared.schemas.intake import ArrivingMember

#: a person with a place: held for them, or taken at check-in
HOUSED = frozenset({"held", "checked_in"})
#: whom an arrival does not place: gone, forgotten (no consent), or housed or waiting already
#: because a consent given later overtook their arrival
NOT_PLACED_ON_ARRIVAL = frozenset({"departed", "forgotten", "held", "checked_in", "waiting"})
#: whom a consent given after registration does not place (a forgotten person who consents
#: again is placed)
NOT_PLACED_ON_CONSENT = frozenset({"departed", "held", "checked_in", "waiting"})

#: what a departure or a merge does to a person: housing has not heard of them yet (their
#: arrival, when it comes, must not place them), they hold a place (it is freed and passes
#: on), they wait (they leave the waitlist), or nothing is theirs to give up
OnLeaving = Literal["remember_departure", "free_place", "leave_waitlist", "nothing"]


def to_place(
    members: Sequence[ArrivingMember],
    status_of: Mapping[UUID, str],
    erased: Collection[UUID],
    not_placed: Collection[str],
) -> list[ArrivingMember]:
    """The members to place: none erased, none whose placement is in a ``not_placed``
    status (e.g. one who left before their arrival reached housing)."""
    return [
        member
        for member in members
        if member.person_id not in erased and status_of.get(member.person_id) not in not_placed
    ]


def parties(
    members: Sequence[ArrivingMember], keep_together: bool
) -> list[tuple[ArrivingMember, ...]]:
    """Who is placed together: a group that keeps together is one party, else each alone."""
    if not members:
        return []
    return [tuple(members)] if keep_together else [(member,) for member in members]


def waitlist_reason(size: int) -> str:
    """Why a party of ``size`` got no place, for the operators."""
    if size > 1:
        return f"no open shelter has {size} fitting free places together"
    return "no fitting free place in any open shelter"


#: why someone waits whose host withdrew the offer (they wait first: no doing of theirs)
HOST_WITHDREW = "their host withdrew the offer"


def on_leaving(status: str | None, reason: ReleaseReason) -> OnLeaving:
    """What a person's leaving for ``reason`` does, given their placement's status (None
    when housing has no placement for them)."""
    gone = reason in ("departed", "merged")
    if status is None:
        return "remember_departure" if gone else "nothing"
    if status in HOUSED:
        return "free_place"
    if status == "waiting" and gone:
        return "leave_waitlist"
    return "nothing"


def may_move(status: str | None) -> bool:
    """Only a person with a place can be moved to another."""
    return status in HOUSED


def all_still_waiting(person_ids: Collection[UUID], status_of: Mapping[UUID, str]) -> bool:
    """Whether a whole waiting party still waits (another transaction may have placed them)."""
    return all(status_of.get(person) == "waiting" for person in person_ids)
