"""The outbox relay publishes an event in a few round trips: every statement its connections send
to Postgres during a turn is counted on the real stack.

Each one is a wait of the relay's task in its service's event loop, which, when the service is
busy answering requests, lasts a turn of that loop, and costs CPU in the service and in
Postgres: a turn once opened its transaction, took the lock and read the checkpoint in three
statements before its first page and gave its connection back to the pool (a reset) after it;
then it took five (its BEGIN with the lock, the first page, the advance, a look for an event
held back, the COMMIT). Now the relay that publishes holds the lock for as long as its reading
connection lives, and the first event held back comes with the page.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest

from shared.eventstore_tables import SCHEMA_DDL
from shared.outbox import OutboxRelay
from shared.outbox_queries import FIRST_PAGE
from tests.integration.test_outbox_relay import checkpoint, published, store
from tests.stack import Stack

pytestmark = pytest.mark.integration

#: the first page with its checkpoint and the first event held back, the checkpoint's advance
STATEMENTS_PER_TURN = 2
#: asyncpg learning a type, the first time a connection meets it
INTROSPECTION = ("SELECT current_setting('jit')", "WITH RECURSIVE typeinfo_tree")


@pytest.fixture
async def counted(databases: dict[str, str]) -> AsyncIterator[tuple[asyncpg.Pool, list[str]]]:
    """A pool whose connections note every statement they send."""
    sent: list[str] = []

    async def noting(conn: asyncpg.Connection) -> None:
        conn.add_query_logger(lambda query: sent.append(" ".join(query.query.split())[:400]))

    pool = await asyncpg.create_pool(databases["housing"], min_size=2, max_size=4, init=noting)
    await pool.execute(SCHEMA_DDL)
    yield pool, sent
    await pool.close()


async def test_a_turn_publishes_an_event_in_two_statements_one_before_its_send(
    counted: tuple[asyncpg.Pool, list[str]], stack: Stack, namespace: str
) -> None:
    pool, sent = counted
    relay = OutboxRelay(pool, stack.kafka_bootstrap_servers, "/tests", namespace=namespace)
    async with relay.started():
        await relay.publish_pending()  # the relay's connections and lock taken, its LISTEN sent
        await store(pool, "shelter", 1, transaction_id=1000)
        sent.clear()

        assert await relay.publish_pending() == 1
        await asyncio.sleep(0)  # asyncpg calls its query loggers soon, not at once
        turn = [statement for statement in sent if not statement.startswith(INTROSPECTION)]
        await relay.publish_pending()  # nothing new: the same statements, nothing sent
        await asyncio.sleep(0)
        again = [statement for statement in sent if not statement.startswith(INTROSPECTION)]

    assert len(turn) == STATEMENTS_PER_TURN, turn
    assert turn[0] == " ".join(FIRST_PAGE.split())[:400]  # the checkpoint read with the page
    assert turn[1].startswith("INSERT INTO outbox_checkpoint")
    assert len(again) - len(turn) <= STATEMENTS_PER_TURN - 1  # no advance
    assert await published(stack, namespace) == [("shelter", 1)]
    assert await checkpoint(pool) is not None
