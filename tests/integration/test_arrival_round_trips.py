"""An arrival costs a few database round trips, whatever the size of the group: every statement
a POST /v1/arrivals sends to Postgres (BEGIN and COMMIT too) is counted on the real stack, so
a statement per person or per consent cannot creep back unnoticed."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from types import TracebackType
from typing import Any
from uuid import uuid4

import asyncpg
import pytest

from tests.conftest import RunningServices
from tests.factories import arrival, person

pytestmark = pytest.mark.integration

#: the most round trips an arrival may cost, for one person as for a group of twelve (its API
#: key is checked in its first statement, not looked up before: services/intake/known_keys.py)
ROUND_TRIPS_PER_ARRIVAL = 4
#: connections in a test service's pool (tests/conftest.py: db_pool_max)
POOL_SIZE = 5

#: set while the test's own request runs: the relay and the consumer, in tasks of their own,
#: do not inherit it, so their polling is not counted
COUNTING: ContextVar[list[str] | None] = ContextVar("counting", default=None)


@pytest.fixture
def service_names() -> tuple[str, ...]:
    return ("intake",)


class CountedAcquire:
    """A pool's acquire that, while a request is counted, logs every statement sent on the
    connection it hands out (asyncpg's query logger sees each execute, fetch, executemany and
    the transaction's BEGIN and COMMIT)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self._conn: Any = None
        self._log = COUNTING.get()

    def _record(self, query: Any) -> None:
        assert self._log is not None
        self._log.append(" ".join(query.query.split())[:90])

    async def __aenter__(self) -> Any:
        conn = await self._inner.__aenter__()
        if self._log is not None:
            self._conn = conn
            conn.add_query_logger(self._record)
        return conn

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> Any:
        if self._conn is not None:
            self._conn.remove_query_logger(self._record)
        return await self._inner.__aexit__(kind, error, tb)

    def __await__(self) -> Any:  # ``await pool.acquire()`` (the relay's own connection)
        return self._inner.__await__()


@contextmanager
def counted(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The statements sent while the block runs, by the code it runs (the pool's slots make
    its acquire patchable only on the class; other pools' and tasks' work is not counted)."""
    original = asyncpg.Pool.acquire
    monkeypatch.setattr(
        asyncpg.Pool, "acquire", lambda pool, *a, **k: CountedAcquire(original(pool, *a, **k))
    )
    statements: list[str] = []
    token = COUNTING.set(statements)
    try:
        yield statements
    finally:
        COUNTING.reset(token)
        monkeypatch.setattr(asyncpg.Pool, "acquire", original)


#: name words are letters: digits in a name would be dropped, and everybody would match
LETTERS = "абвгдежзиклмнопрстуфхцчшэюя"


def group(size: int, tag: int) -> dict[str, Any]:
    """``size`` people, each with a passport and a birth date: every duplicate rule applies."""
    return arrival(
        *(
            person(
                given=f"Друг{LETTERS[tag]}{LETTERS[index]}",
                family="Товарищев",
                relation="friend" if index else "self",
                documents=[{"type": "foreign_passport", "number": f"75 {tag}{index:05}"}],
            )
            for index in range(size)
        )
    )


async def round_trips(
    services: RunningServices, monkeypatch: pytest.MonkeyPatch, body: dict[str, Any]
) -> list[str]:
    headers = {"X-API-Key": services.partner_key, "Idempotency-Key": str(uuid4())}
    with counted(monkeypatch) as statements:
        answer = await services.intake.post("/v1/arrivals", json=body, headers=headers)
        await asyncio.sleep(0)  # the query logger reports in the loop's next turn
    assert answer.status_code == 201, answer.text
    return statements


async def warm_up(services: RunningServices, size: int) -> None:
    """An arrival of this size on every connection of the pool, at once: the first use of a
    statement on a connection prepares it, and asyncpg reads the types it has not met yet;
    those round trips are each connection's once, not each arrival's."""
    headers = {"X-API-Key": services.partner_key}
    answers = await asyncio.gather(
        *(
            services.intake.post(
                "/v1/arrivals",
                json=group(size, tag),
                headers={**headers, "Idempotency-Key": str(uuid4())},
            )
            for tag in range(7, 7 + POOL_SIZE)
        )
    )
    assert {answer.status_code for answer in answers} == {201}


@pytest.mark.parametrize("size", [1, 12])
async def test_an_arrival_costs_at_most_four_round_trips_for_one_person_and_for_twelve(
    services: RunningServices, monkeypatch: pytest.MonkeyPatch, size: int
) -> None:
    await warm_up(services, size)

    fresh = await round_trips(services, monkeypatch, group(size, 3))
    # the same people again, from another welcome point's paper list: each is a possible
    # duplicate, flagged and answered, and that costs no round trip more either
    again = await round_trips(services, monkeypatch, group(size, 3))

    print(f"\nround trips for {size}: new people {len(fresh)}, known again {len(again)}")
    for statements in (fresh, again):
        assert len(statements) <= ROUND_TRIPS_PER_ARRIVAL, "\n".join(statements)


async def test_two_concurrent_posts_with_one_key_create_one_arrival_and_get_one_answer(
    services: RunningServices,
) -> None:
    # the claim shares its statement with the lookups: the second waits on the key's row,
    # then reads the first answer, and writes nothing
    headers = {"X-API-Key": services.partner_key, "Idempotency-Key": "twice-at-once"}
    body = group(3, 4)
    answers = await asyncio.gather(
        *(services.intake.post("/v1/arrivals", json=body, headers=headers) for _ in range(2))
    )

    assert [answer.status_code for answer in answers] == [201, 201]
    assert answers[0].json() == answers[1].json()
    async with services.pool("intake").acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM cases") == 1
        assert await conn.fetchval("SELECT count(*) FROM person_keys") == 3
        assert await conn.fetchval("SELECT count(*) FROM consents") == 6


async def test_a_reused_key_is_refused_before_the_crossing_point_is_checked(
    services: RunningServices,
) -> None:
    headers = {"X-API-Key": services.partner_key, "Idempotency-Key": "used-once"}
    first = await services.intake.post("/v1/arrivals", json=group(1, 5), headers=headers)
    elsewhere = {**group(1, 6), "crossing_point": "nowhere"}

    again = await services.intake.post("/v1/arrivals", json=elsewhere, headers=headers)
    fresh = await services.intake.post(
        "/v1/arrivals", json=elsewhere, headers={**headers, "Idempotency-Key": "new"}
    )

    assert first.status_code == 201
    assert again.status_code == 409, again.text
    assert fresh.status_code == 422, fresh.text
    assert fresh.json()["errors"][0]["pointer"] == "#/crossing_point"
    async with services.pool("intake").acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM idempotency_keys") == 1
