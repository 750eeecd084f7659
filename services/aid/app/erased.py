"""The persons aid knows were erased: their id and when, nothing more.

An erasure is keyed by the person on intake's topic and an arrival by the arrival, so the
erasure may reach aid first. Aid takes nothing about an erased person in afterwards: an arrival
registers its other members only, any other event naming them changes nothing, and a support
request for them is refused.
"""

from __future__ import annotations

from uuid import UUID

import asyncpg

from services.aid.erased_persons import erased_among
from shared.decision import DomainError


class PersonWasErased(DomainError):
    """A command about a person erased: nothing is recorded of them any more."""


async def refuse_if_erased(conn: asyncpg.Connection, person_id: UUID) -> None:
    if await erased_among(conn, [person_id]):
        raise PersonWasErased(
            f"person {person_id} was erased: aid records nothing more about them, and no "
            "request for them can be made. Check /person_id; a new arrival registered at "
            "intake gets a new id."
        )
