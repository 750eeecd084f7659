"""What a support request says about its person beyond its kind and country: the city they head
for, the documents they hold, the day they would leave, their profession, skills and languages,
and the caseworker's note (and the city's key, by which matching looks requests up).

It is kept here, outside the append-only event store, keyed by the request and its person, and
copied into the ``support_requests`` read model (live, and after a rebuild); erasing the person
(or their withdrawing the consent to aid) deletes it and blanks the copy, so nothing of it
survives in any table, event or stored answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

import asyncpg

from services.aid.domain.matching import place_key
from services.aid.domain.support_request import RequestDetails
from shared.idempotency import ERASED_ANSWER, forget_requests_carrying

#: copy the details into the read model: ``$1`` a request, or NULL for every request
FILL_READ_MODEL = """
UPDATE support_requests r
SET destination_city = d.destination_city, destination_city_key = d.destination_city_key,
    documents_held = d.documents_held,
    wanted_on = d.wanted_on, profession = d.profession, skills = d.skills,
    languages = d.languages, work_countries = d.work_countries, remote_ok = d.remote_ok,
    note = d.note
FROM support_request_details d
WHERE d.request_id = r.request_id AND ($1::uuid IS NULL OR r.request_id = $1)
"""


async def keep_request_details(
    conn: asyncpg.Connection, request_id: UUID, person_id: UUID, details: RequestDetails
) -> None:
    """Record a request's details, before the request's event (whose projection copies them)."""
    await conn.execute(
        """
        INSERT INTO support_request_details (request_id, person_id, destination_city,
            destination_city_key, documents_held, wanted_on, profession, skills, languages,
            work_countries, remote_ok, note)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
        """,
        request_id, person_id, details.destination_city, place_key(details.destination_city),
        [document.value for document in details.documents_held], details.wanted_on,
        details.profession, list(details.skills), list(details.languages),
        list(details.work_countries), details.remote_ok, details.note,
    )  # fmt: skip


async def forget_person(
    conn: asyncpg.Connection, person_id: UUID, answer: Mapping[str, Any] = ERASED_ANSWER
) -> None:
    """Delete what the person's requests said, blank it in the read model, and neutralise the
    stored requests that carried them (a request's body, a distribution's answer), whose
    retries get ``answer``: on an erasure, and on a withdrawal of the consent to aid."""
    await conn.execute("DELETE FROM support_request_details WHERE person_id = $1", person_id)
    await conn.execute(
        """
        UPDATE support_requests
        SET destination_city = NULL, destination_city_key = NULL, documents_held = '{}',
            wanted_on = NULL, profession = NULL, skills = '{}', languages = '{}',
            work_countries = '{}', remote_ok = false, note = NULL
        WHERE person_id = $1
        """,
        person_id,
    )
    await forget_requests_carrying(conn, [person_id], answer)
