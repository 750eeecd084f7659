"""Aid takes an arrival in for a few database round trips, whatever the size of the group: its
people's streams are read in one statement and appended in one, their rows projected together.
Every statement of the consumer's transaction is counted on the real aid, Kafka and Postgres,
so a read and a write per person cannot creep back unnoticed (the Oral week's aid takes in
100,000 people)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import asyncpg
import pytest

from tests.integration.aid_helpers import RunningAid, running_aid
from tests.stack import Stack

pytestmark = pytest.mark.integration

#: the most round trips the consumer's transaction may cost for an arrival, of one or of six:
#: BEGIN; the inbox; the erased among its people; their streams read; the append; their
#: read models' rows read, and written; COMMIT
ROUND_TRIPS_PER_ARRIVAL = 8


@pytest.fixture
async def aid(stack: Stack, databases: dict[str, str], namespace: str) -> AsyncIterator[RunningAid]:
    async with running_aid(stack, databases, namespace) as running:
        yield running


@contextmanager
def transactions(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[list[str]]]:
    """The transactions run on connections the pool hands out while the block runs, each as
    its statements (the consumer's task too: nothing is inherited from the test's context)."""
    found: list[list[str]] = []
    original = asyncpg.Pool.acquire

    class Logged:
        def __init__(self, inner: Any) -> None:
            self._inner, self._conn, self._statements = inner, None, list[str]()

        def _record(self, query: Any) -> None:
            self._statements.append(" ".join(query.query.split())[:90])

        async def __aenter__(self) -> Any:
            self._conn = await self._inner.__aenter__()
            self._conn.add_query_logger(self._record)
            return self._conn

        async def __aexit__(self, *exc: Any) -> Any:
            self._conn.remove_query_logger(self._record)
            found.append(self._statements)
            return await self._inner.__aexit__(*exc)

        def __await__(self) -> Any:
            return self._inner.__await__()

    monkeypatch.setattr(
        asyncpg.Pool, "acquire", lambda pool, *a, **k: Logged(original(pool, *a, **k))
    )
    try:
        yield found
    finally:
        monkeypatch.setattr(asyncpg.Pool, "acquire", original)


#: what asyncpg sends the first time a connection meets a statement's types: once per
#: connection of the pool, whichever the consumer is handed
INTROSPECTION = ("typeinfo_tree", "'jit'")


def taking_in(found: list[list[str]]) -> list[str]:
    """The one consumer transaction among ``found`` (the one that recorded an inbox entry),
    without asyncpg's type introspection."""
    (statements,) = [one for one in found if any("INTO inbox" in s for s in one)]
    return [s for s in statements if not any(mark in s for mark in INTROSPECTION)]


async def test_an_arrival_of_six_costs_aid_as_many_round_trips_as_one_person(
    aid: RunningAid, monkeypatch: pytest.MonkeyPatch
) -> None:
    await aid.arrive(())  # the connection meets the statements' types once

    with transactions(monkeypatch) as alone:
        _, one = await aid.arrive(())
    with transactions(monkeypatch) as family:
        _, six = await aid.arrive(*[()] * 6)

    alone_statements, family_statements = taking_in(alone), taking_in(family)
    print(f"\nround trips: one person {len(alone_statements)}, six {len(family_statements)}")
    assert len(family_statements) <= ROUND_TRIPS_PER_ARRIVAL, "\n".join(family_statements)
    assert len(family_statements) == len(alone_statements), "\n".join(alone_statements)
    for person in [*one, *six]:  # each taken in, in the household of the arrival
        known = await aid.known(person)
        assert known["status"] == "registered", known
