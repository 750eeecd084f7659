"""An arrival's answer is written into its idempotency key's row in place: the key is claimed
with the ids the answer carries (shared/idempotency.py, Claim.write), so remembering the answer
is a HOT update (no second row version, no new index entries), and the ids an erasure looks
for are all there, a possible duplicate's among them."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest

from tests.conftest import RunningServices, eventually
from tests.factories import arrival, person

pytestmark = pytest.mark.integration

_UPDATES = """
SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'idempotency_keys'
"""


@pytest.fixture
def service_names() -> tuple[str, ...]:
    return ("intake",)


async def test_remembering_an_arrivals_answer_rewrites_its_keys_row_in_place(
    services: RunningServices,
) -> None:
    pool = services.pool("intake")
    async with pool.acquire() as conn:
        before = await conn.fetchrow(_UPDATES)
    for family in ("Орлов", "Соколов", "Лебедев"):  # nobody a duplicate of anybody
        members = person(given="Пётр", family=family), person(given="Анна", family=family + "а")
        answer = await services.intake.post(
            "/v1/arrivals",
            json=arrival(*members),
            headers={"X-API-Key": services.partner_key, "Idempotency-Key": str(uuid4())},
        )
        assert answer.status_code == 201, answer.text

    async def counted() -> tuple[int, int] | None:
        async with pool.acquire() as conn:
            row = await conn.fetchrow(_UPDATES)
        updated = row["n_tup_upd"] - before["n_tup_upd"]
        hot = row["n_tup_hot_upd"] - before["n_tup_hot_upd"]
        return (updated, hot) if updated >= 3 else None

    # the backends report their counts within seconds of going idle
    assert await eventually(counted, timeout=30, what="the updates counted") == (3, 3)


async def test_the_key_of_an_arrival_naming_a_duplicate_carries_every_id_of_its_answer(
    services: RunningServices,
) -> None:
    headers = {"X-API-Key": services.partner_key}
    first = await services.intake.post(
        "/v1/arrivals", json=arrival(person()), headers={**headers, "Idempotency-Key": "first"}
    )
    again = await services.intake.post(
        "/v1/arrivals", json=arrival(person()), headers={**headers, "Idempotency-Key": "again"}
    )
    assert (first.status_code, again.status_code) == (201, 201), again.text
    [earlier] = first.json()["person_ids"]
    answer = again.json()
    assert [flag["candidate_person_id"] for flag in answer["possible_duplicates"]] == [earlier]
    async with services.pool("intake").acquire() as conn:
        carried = await conn.fetchval(
            "SELECT carried_ids FROM idempotency_keys WHERE idempotency_key = 'again'"
        )
    expected = {answer["arrival_id"], answer["correlation_id"], *answer["person_ids"], earlier}
    assert set(carried) == {UUID(one) for one in expected}
