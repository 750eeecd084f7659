"""Rebuild a service's read models from its event store.

One REPEATABLE READ transaction truncates the read-model tables and replays every event: a
consistent snapshot, and appends that arrive meanwhile wait on the truncated tables and project
after it, so nothing is missed or applied twice.

A store with a ``rebuilder`` has its events folded in memory into the final rows of each read
model, which are then written with COPY: one statement per table instead of one or more per
event. ``FoldedReadModels`` is that rebuilder for read models written as folds (shared.folds),
the very folds the live projection runs. A store without one has every event replayed through
its projectors, as they ran live.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from contextlib import aclosing, contextmanager, suppress
from dataclasses import fields
from operator import attrgetter
from typing import Any

import asyncpg

from shared.eventstore import EventStore, ReadModelFold, RecordedEvent
from shared.folds import FoldedTables, FoldsByType, ReadModel, Table

Progress = Callable[[int, int], None]
Read = Callable[[asyncpg.Connection, int, int], Awaitable[list[RecordedEvent]]]
#: writes a table whose rows are not stored as the fold keeps them (intake's blind index, which
#: is computed from sealed details): the connection, then the fold's final rows of that table
DerivedCopy = Callable[[asyncpg.Connection, Iterable[Any]], Awaitable[None]]


async def rebuild_read_models(
    pool: asyncpg.Pool,
    store: EventStore,
    tables: Sequence[str],
    progress: Progress | None = None,
    batch_size: int = 5000,
) -> int:
    """Replay all events into freshly emptied ``tables``; returns how many were replayed.

    ``progress(done, total)`` is called after each page of ``batch_size`` events."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
        # locked before the snapshot is taken (LOCK takes none, the count does): an append that
        # projected into these tables has committed by then, so its events are in the snapshot
        # rather than its rows truncated away unreplayed
        await conn.execute(f"LOCK TABLE {', '.join(tables)} IN ACCESS EXCLUSIVE MODE")
        total = int(await conn.fetchval("SELECT count(*) FROM events"))
        await conn.execute(f"TRUNCATE {', '.join(tables)}")
        if store.rebuilder is None:
            pages = _pages(conn, store.read_all, total, progress, batch_size)
            return await _through_projectors(conn, store, pages)
        with _cyclic_collector_paused():  # until the fold and its rows are gone again
            pages = _pages(conn, store.replay, total, progress, batch_size, read_ahead=True)
            return await _folded(conn, store.rebuilder(), pages)


async def copy_rows(
    conn: asyncpg.Connection, table: str, rows: Iterable[Any], row_type: type[Any]
) -> None:
    """COPY ``rows``, dataclasses of ``row_type``, into ``table``: its fields name the columns."""
    columns = tuple(column.name for column in fields(row_type))
    await conn.copy_records_to_table(
        table, records=map(attrgetter(*columns), rows), columns=columns
    )


class FoldedReadModels:
    """The rebuilder (shared.eventstore.ReadModelFold) of read models written as folds: every
    event folded over the rows held in memory, then each table written with COPY, in the order
    of ``models`` (a table that another references first), or by its ``derived`` writer."""

    def __init__(
        self, models: Sequence[ReadModel], derived: Mapping[str, DerivedCopy] | None = None
    ) -> None:
        self.models = tuple(models)
        self.tables = FoldedTables(table for model in models for table in model.tables)
        self._folding = FoldsByType(models)
        self._written: list[Table[Any]] = [table for model in models for table in model.tables]
        self._derived = derived or {}

    def apply(self, recorded: RecordedEvent) -> None:
        tables = self.tables
        for model in self._folding[type(recorded.event)]:
            if changes := model.fold(recorded, tables):
                tables.apply(changes)

    async def write(self, conn: asyncpg.Connection) -> None:
        for table in self._written:
            rows = self.tables.rows(table)
            if table.name in self._derived:
                await self._derived[table.name](conn, rows)
            else:
                await copy_rows(conn, table.name, rows, table.row)


async def _pages(
    conn: asyncpg.Connection,
    read: Read,
    total: int,
    progress: Progress | None,
    batch_size: int,
    *,
    read_ahead: bool = False,
) -> AsyncGenerator[list[RecordedEvent], None]:
    """All events in position order, a page at a time; progress once a page is through.

    ``read_ahead`` (for a consumer that leaves the connection alone): the next page is asked
    for before this one is handed on, so that Postgres reads it (and renders its JSON, a third
    of a rebuild's work there) while this process folds the page before."""
    position, done = 0, 0
    reading: asyncio.Future[list[RecordedEvent]] | None = None
    try:
        while events := await (reading or read(conn, position, batch_size)):
            position = events[-1].global_position
            reading = None
            if read_ahead:
                reading = asyncio.ensure_future(read(conn, position, batch_size))
                await asyncio.sleep(0)  # the read sends its query
            yield events
            done += len(events)
            if progress:
                progress(done, total)
    finally:
        if reading is not None and not reading.done():  # the fold failed: no query left open
            reading.cancel()
            with suppress(asyncio.CancelledError):
                await reading


async def _through_projectors(
    conn: asyncpg.Connection, store: EventStore, pages: AsyncIterator[list[RecordedEvent]]
) -> int:
    replayed = 0
    async for events in pages:
        for recorded in events:
            for project in store.projectors:
                await project(conn, recorded)
        replayed += len(events)
    return replayed


async def _folded(
    conn: asyncpg.Connection,
    fold: ReadModelFold,
    pages: AsyncGenerator[list[RecordedEvent], None],
) -> int:
    replayed = 0
    async with aclosing(pages):  # a fold that fails leaves no read ahead on the connection
        async for events in pages:
            for start in range(0, len(events), _FOLDED_BETWEEN_READS):
                for recorded in events[start : start + _FOLDED_BETWEEN_READS]:
                    fold.apply(recorded)
                await asyncio.sleep(0)  # takes in what the next page's read sent meanwhile
            replayed += len(events)
    await fold.write(conn)
    return replayed


#: events folded before the next page's rows that have arrived are taken in: Postgres sends
#: a page only as fast as they are, so it waits on a socket buffer full of them
_FOLDED_BETWEEN_READS = 500


@contextmanager
def _cyclic_collector_paused() -> Iterator[None]:
    """The fold keeps hundreds of thousands of rows alive and makes no reference cycles, yet
    the cyclic collector would walk them again and again as they pile up: with it running, a
    rebuild of 427,000 events took 1.7 times as long. Paused until the fold is dropped, so that
    its rows are not walked once more at the end either."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
