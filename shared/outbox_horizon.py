"""The outbox relay's horizon (shared.outbox): it publishes only events of transactions older
than every transaction of its database still running, so that an event committed late under an
early position is never skipped.

Transaction ids are the Postgres server's, not one database's, and so is a snapshot's oldest
running transaction (``pg_snapshot_xmin``): with it as the horizon, any transaction of any
database on the server (another service's consumer batch, a test's open transaction, a CREATE
DATABASE) held the relay back, and its commit sent no NOTIFY here. Measured on the benchmark's
shared server: from intake's 201 to the relay's send 0.3-2 s at a low rate, most of accept ->
visible. So ``HORIZON`` is the oldest running transaction of the snapshot that is not known to
be another database's: a transaction id seen on a backend connected to another database is
that database's for good (ids are never reused), and one not seen (it just ended, or a prepared
transaction, or a role that may not see other sessions) counts as ours, as before: at worst
the relay waits, it never skips.

A turn that ends with committed events still held back notes the first one's transaction, and
the relay checks, a few milliseconds apart, growing, whether the horizon has passed it: one
cheap statement per check, and only while something is held back; an idle relay still waits
for a NOTIFY or its idle poll."""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg

#: the statement's snapshot (pg_current_snapshot is the active one, the same the events are
#: read under): its oldest running transaction not seen on another database's backend, or, if
#: none, the first id not yet given (every id below it has ended)
HORIZON = """
SELECT coalesce(min(running.id), pg_snapshot_xmax(pg_current_snapshot()))
FROM pg_snapshot_xip(pg_current_snapshot()) AS running(id)
WHERE NOT EXISTS (
    SELECT FROM pg_stat_get_activity(NULL) AS backend
    WHERE backend.backend_xid = running.id::xid
      AND backend.datid <> (SELECT oid FROM pg_database WHERE datname = current_database()))
"""

_PASSED = f"SELECT $1::text::xid8 < ({HORIZON})"

#: the first pause between checks, doubled after each up to the last: a transaction that holds
#: the horizon for long (a rebuild) costs a check every 50 ms, not a busy loop
FIRST_CHECK_SECONDS = 0.002
LAST_CHECK_SECONDS = 0.05


async def horizon_passed(
    conn: asyncpg.Connection, transaction_id: str, wakeup: asyncio.Event
) -> None:
    """Return once the horizon has passed ``transaction_id``, or at a NOTIFY (``wakeup``); the
    caller bounds the wait."""
    pause = FIRST_CHECK_SECONDS
    while not await conn.fetchval(_PASSED, transaction_id):
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(pause):
                await wakeup.wait()
                return
        pause = min(pause * 2, LAST_CHECK_SECONDS)
