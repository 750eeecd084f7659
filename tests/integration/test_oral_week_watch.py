"""The Oral week's runner counts what a producer published once per event, and exactly: an
event whose transaction began first but committed last is counted when it commits, and none
is counted twice (benchmarks/oral_week/watch.py). A miscount would let the runner go on before
housing placed everyone (too few) or wait forever (too many). And a day's database CPU keeps
the backends that ended during the day."""

from __future__ import annotations

from pathlib import Path
from uuid import uuid4

import asyncpg
import pytest

from benchmarks.common import process_cpu, server_cpu
from benchmarks.oral_week.watch import PublishedCount, database_server
from shared.eventstore_tables import SCHEMA_DDL
from tests.conftest import eventually

pytestmark = pytest.mark.integration
TOPIC = "intake.events.v2"


async def publish(conn: asyncpg.Connection, topic: str | None = TOPIC) -> None:
    await conn.execute(
        "INSERT INTO events (stream_id, version, event_id, event_type, schema_version, topic, "
        "data, metadata) VALUES ($1, 1, $2, 'ArrivalRegistered', 2, $3, '{}', '{}')",
        str(uuid4()), uuid4(), topic,
    )  # fmt: skip


async def test_an_event_committed_late_under_an_early_transaction_is_counted_once(
    databases: dict[str, str],
) -> None:
    url = databases["intake"]
    writer, late, watcher = [await asyncpg.connect(url) for _ in range(3)]
    try:
        await writer.execute(SCHEMA_DDL)
        count = PublishedCount(TOPIC)
        began_first = late.transaction()
        await began_first.start()
        await publish(late)  # its transaction id is drawn now, before the others'
        await publish(writer)
        await publish(writer)
        await publish(writer, topic=None)  # private: not on the topic
        seen = [await count(watcher)]
        await began_first.commit()
        seen += [await count(watcher), await count(watcher)]
        await publish(writer)
        seen.append(await count(watcher))
    finally:
        for conn in (writer, late, watcher):
            await conn.close()

    assert seen == [2, 3, 3, 4]


async def test_the_database_servers_cpu_keeps_a_backend_that_ended(
    databases: dict[str, str],
) -> None:
    """The week's pools replace connections: summing the live backends, a day whose backends
    ended came out at -27 CPU-s. The server's figure takes in what its ended children spent."""
    url = databases["intake"]
    monitor = await asyncpg.connect(url)
    try:
        server = await database_server(monitor)
        assert server is not None
        before = server_cpu(server)
        busy = await asyncpg.connect(url)
        pid = await busy.fetchval("SELECT pg_backend_pid()")
        await busy.fetchval("SELECT count(*) FROM generate_series(1, 5000000)")
        spent = process_cpu(pid)
        await busy.close()

        async def reaped() -> bool:
            return not Path(f"/proc/{pid}").exists()

        await eventually(reaped, timeout=10, what="the ended backend reaped")
        after = server_cpu(server)
    finally:
        await monitor.close()

    assert before is not None and after is not None and spent is not None
    assert spent >= 0.1  # the query did burn something worth keeping
    assert after - before >= spent
