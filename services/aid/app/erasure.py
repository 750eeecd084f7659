"""What aid forgets of a person: on a withdrawal of the consent to aid, and on an erasure.

Both forget the beneficiary (household, age band, vulnerability, entitlements:
``BeneficiaryForgotten``), end their open support requests and delete what those requests said
(city, documents, date, skills, note) and every stored request that carried the person (a
retry is answered 410, saying which of the two happened). An erasure is also remembered
(services/aid/app/erased.py), so that nothing about the person is taken in afterwards.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from services.aid.app.support import withdraw_requests_of
from services.aid.domain.beneficiary import beneficiary
from services.aid.domain.beneficiary_commands import ForgetBeneficiary
from services.aid.erased_persons import remember_erased
from services.aid.request_details import forget_person
from shared.decider import execute
from shared.eventstore import Causation, EventStore
from shared.idempotency import ERASED_ANSWER, FORGOTTEN_ANSWER
from shared.schemas.intake import PersonErased

ACTOR = "service:aid"


async def forget_beneficiary(
    conn: asyncpg.Connection,
    store: EventStore,
    person_id: UUID,
    causation: Causation,
    now: datetime,
    answer: Mapping[str, Any] = FORGOTTEN_ANSWER,
) -> None:
    """Forget the beneficiary, end their open requests, delete what those said and neutralise
    the stored requests that carried them (``answer``: what a retry of one is told)."""
    forget = ForgetBeneficiary(person_id, ACTOR, now)
    await execute(conn, store, beneficiary, str(person_id), forget, causation)
    await withdraw_requests_of(conn, store, person_id, "other", causation, now)
    await forget_person(conn, person_id, answer)


async def erase_person(
    conn: asyncpg.Connection,
    store: EventStore,
    erased: PersonErased,
    causation: Causation,
    now: datetime,
) -> None:
    await remember_erased(conn, erased.person_id, erased.occurred_at)
    await forget_beneficiary(conn, store, erased.person_id, causation, now, ERASED_ANSWER)
