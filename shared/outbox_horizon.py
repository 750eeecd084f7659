"""The outbox relay's horizon (shared.outbox): it publishes only events of transactions older
than every transaction still running, so that an event committed late under an early position
is never skipped. Transaction ids are the Postgres server's, not one database's: the oldest
running transaction may be another database's (housing's consumer batch, on a server both
services share), and its commit sends this database no NOTIFY. Without a look of its own the
relay then sat on committed events until its idle poll (half a second, measured as most of
accept -> visible at low load).

So a turn that ends with events held back notes the first one's transaction, and the relay
checks, a few milliseconds apart, growing, whether the horizon has passed it: one cheap
statement per check, and only while something is held back; an idle relay still waits for a
NOTIFY or its idle poll."""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg

#: the first committed event past the checkpoint (after a short page, one the horizon holds
#: back, or one committed since the page was read): its transaction id, or NULL
_FIRST_HELD_BACK = """
SELECT transaction_id::text FROM events
WHERE topic IS NOT NULL AND (transaction_id, global_position) > ($1::text::xid8, $2)
ORDER BY transaction_id, global_position
LIMIT 1
"""
_PASSED = "SELECT $1::text::xid8 < pg_snapshot_xmin(pg_current_snapshot())"

#: the first pause between checks, doubled after each up to the last: a transaction that holds
#: the horizon for long (a big rebuild elsewhere) costs a check every 50 ms, not a busy loop
FIRST_CHECK_SECONDS = 0.002
LAST_CHECK_SECONDS = 0.05


async def first_held_back(conn: asyncpg.Connection, after: tuple[str, int]) -> str | None:
    """The transaction id of the first committed event past ``after``, if any."""
    found: str | None = await conn.fetchval(_FIRST_HELD_BACK, *after)
    return found


async def horizon_passed(
    conn: asyncpg.Connection, transaction_id: str, wakeup: asyncio.Event
) -> None:
    """Return once every transaction older than ``transaction_id`` has ended, or at a NOTIFY
    (``wakeup``); the caller bounds the wait."""
    pause = FIRST_CHECK_SECONDS
    while not await conn.fetchval(_PASSED, transaction_id):
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(pause):
                await wakeup.wait()
                return
        pause = min(pause * 2, LAST_CHECK_SECONDS)
