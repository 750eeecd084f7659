"""What housing keeps of a person it must not place, and nothing more: one who departed before
their arrival reached housing, one who withdrew their consent to housing or was erased: the
rows the placements' fold (placement_rows.py) keeps of them."""

from __future__ import annotations

from typing import Any

from services.housing.events import DepartureBeforeArrival
from shared.schemas.housing import PersonForgotten


def departed(event: DepartureBeforeArrival, correlation_id: str) -> tuple[Any, ...]:
    """person_id, status, reason, since, correlation_id: a departure before the arrival (so
    that the arrival does not place them)."""
    return (event.person_id, "departed", event.reason, event.occurred_at, correlation_id)


def forgotten(
    event: PersonForgotten, correlation_id: str, status_before: str | None
) -> tuple[Any, ...]:
    """person_id, status, since, correlation_id: all that is kept of a forgotten person (so
    that their arrival, should it come late, does not place them; nor a consent given again,
    once they departed)."""
    status = "departed" if status_before == "departed" else "forgotten"
    return (event.person_id, status, event.occurred_at, correlation_id)
