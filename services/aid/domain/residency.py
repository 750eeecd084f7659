"""Where a person stands with housing, in the README's words: a place held for them (food
from the first night), checked in (a resident, for resident-only items), or neither."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from shared.schemas.aid import ResidentRecorded
from shared.schemas.housing import (
    BedReleased,
    HoldExpired,
    PersonCheckedOut,
    PlaceFreedOnConsentWithdrawal,
)

#: housing's events after which a person no longer sleeps at the shelter
StayEnded = PersonCheckedOut | BedReleased | HoldExpired | PlaceFreedOnConsentWithdrawal

#: where a person stands with housing, in the README's words
Residency = Literal["held", "checked_in", "none"]


def residency_of(event: ResidentRecorded) -> Residency:
    """A place held for the person, or the person checked in (a resident, as ``decide`` says)."""
    return "checked_in" if event.checked_in else "held"


def residency_from(status: str, shelter_id: UUID | None) -> Residency:
    """From a read-model row; "resident", what rows projected before held and checked in were
    told apart say, reads as the safer "held" until a rebuild tells them apart."""
    return "none" if shelter_id is None else "checked_in" if status == "checked_in" else "held"


def why_stay_ended(event: StayEnded) -> str:
    """The reason aid records when a residency ends: a check-out's or a release's own reason;
    an expired hold is a no-show; a place given up with the consent to housing says so."""
    if isinstance(event, PersonCheckedOut | BedReleased):
        return event.reason
    return "no_show" if isinstance(event, HoldExpired) else "consent_withdrawn"
