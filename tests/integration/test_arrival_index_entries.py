"""What an arrival writes into indexes: every entry is WAL-logged and flushed at the arrival's
commit, so each index on a table an arrival writes to must serve a read (migration 0010 took
out three that served none). A new index there has to be added to this list on purpose."""

from __future__ import annotations

from uuid import uuid4

import pytest

from tests.conftest import RunningServices
from tests.factories import arrival, person

pytestmark = pytest.mark.integration

OPERATOR = {"X-API-Key": "operator-test-key"}

#: per table an arrival writes to, its indexes and what reads through each
INDEXES = {
    "events": {
        "events_pkey",  # the relay and rebuilds read in position order
        "events_stream_version",  # a stream's events; one writer per version
        "events_outbox_order",  # the relay's horizon
    },
    "cases": {"cases_pkey", "cases_by_partner", "cases_by_day"},
    "case_members": {"case_members_pkey", "case_members_by_arrival", "case_members_merged_into"},
    "person_details": {"person_details_pkey"},
    "person_index": {"person_index_lookup", "person_index_by_person"},
    "person_keys": {"person_keys_pkey"},
    "consents": {"consents_pkey"},
    "idempotency_keys": {"idempotency_keys_pkey", "idempotency_keys_carried"},
}


@pytest.fixture
def service_names() -> tuple[str, ...]:
    return ("intake",)


async def test_every_index_an_arrival_writes_to_is_one_a_read_uses(
    services: RunningServices,
) -> None:
    async with services.pool("intake").acquire() as conn:
        rows = await conn.fetch(
            "SELECT tablename, indexname FROM pg_indexes "
            "WHERE schemaname = 'public' AND tablename = ANY($1::text[])",
            list(INDEXES),
        )
    found: dict[str, set[str]] = {}
    for row in rows:
        found.setdefault(row["tablename"], set()).add(row["indexname"])
    assert found == INDEXES


async def blind_entries(services: RunningServices, person_id: str) -> list[tuple[str, str]]:
    async with services.pool("intake").acquire() as conn:
        rows = await conn.fetch(
            "SELECT kind, value FROM person_index WHERE person_id = $1 ORDER BY kind, value",
            person_id,
        )
    return [(row["kind"], row["value"]) for row in rows]


async def test_a_persons_blind_index_entries_are_each_kept_once_and_all_go_with_erasure(
    services: RunningServices,
) -> None:
    # the same word as given and family name, and the same passport twice: one entry each,
    # now that no primary key would refuse a second
    passport = {"type": "foreign_passport", "number": "75 1234567"}
    body = arrival(person(given="Иван", family="Иван", documents=[passport, passport]))
    headers = {"X-API-Key": services.partner_key, "Idempotency-Key": str(uuid4())}
    answer = await services.intake.post("/v1/arrivals", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    person_id = answer.json()["person_ids"][0]
    registered = await blind_entries(services, person_id)
    assert registered and len(set(registered)) == len(registered)

    correction = {"field": "family_name", "value": "Иванов", "reason": "misread at the border"}
    corrected = await services.intake.post(
        f"/v1/persons/{person_id}/corrections",
        json=correction,
        headers={**headers, "Idempotency-Key": str(uuid4())},
    )
    assert corrected.status_code < 300, corrected.text
    after = await blind_entries(services, person_id)
    assert len(set(after)) == len(after)
    assert after != registered

    erased = await services.intake.post(
        f"/v1/persons/{person_id}/erasure",
        json={"reason": "the person asked"},
        headers={**OPERATOR, "Idempotency-Key": str(uuid4())},
    )
    assert erased.status_code < 300, erased.text
    assert await blind_entries(services, person_id) == []
