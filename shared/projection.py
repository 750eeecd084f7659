"""The live projection of folded read models (shared.folds): for each event, load the rows its
read models read, fold, and write what the folds return, in the append's transaction; or
(AppendProjection) the same for all the events of one append at once.

Rows are loaded FOR UPDATE: a concurrent append that touches the same rows waits for this one
and then folds over what it wrote. A row the fold found absent is INSERTed, never upserted, so
two appends that both create it cannot both win: the second fails on the table's key.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, Literal

import asyncpg

from shared.eventstore import RecordedEvent
from shared.folds import Change, Delete, FoldsByType, Key, Put, Read, ReadModel, Row, Table
from shared.statement import Write, compose, rows_json

#: writes a table whose rows are not stored as the fold keeps them (intake's blind index,
#: computed from sealed details as it is written): the changes to that table, in order
DerivedWriter = Callable[[asyncpg.Connection, Sequence[Change]], Awaitable[None]]


class LoadedRows:
    """The rows one event's reads loaded; a fold that reads any other row is a bug, and fails
    here rather than folding over a row it did not see."""

    def __init__(self) -> None:
        self.found: dict[str, dict[Key, Any]] = {}
        self._read: dict[tuple[str, str], set[Any]] = {}

    async def load(self, conn: asyncpg.Connection, read: Read) -> None:
        table = read.table
        columns = table.columns
        records = await conn.fetch(
            f"SELECT {', '.join(columns)} FROM {table.name} WHERE {read.column} = ANY($1) "
            "FOR UPDATE",
            list(read.values),
        )
        found = self.found.setdefault(table.name, {})
        for record in records:
            row = table.row(*record)
            found[table.key_of(row)] = row
        self._read.setdefault((table.name, read.column), set()).update(read.values)

    def get(self, table: Table[Row], key: Key) -> Row | None:
        if len(table.key) != 1 or key not in self._read.get((table.name, table.key[0]), ()):
            raise LookupError(f"a fold read {table.name} {key!r}, which its reads did not load")
        row: Row | None = self.found.get(table.name, {}).get(key)
        return row

    def where(self, table: Table[Row], column: str, value: Any) -> list[Row]:
        if value not in self._read.get((table.name, column), ()):
            raise LookupError(f"a fold read {table.name} by {column}, which its reads did not load")
        return [row for row in self.found.get(table.name, {}).values()
                if getattr(row, column) == value]  # fmt: skip

    def was_read(self, table: Table[Any], key: Key) -> bool:
        """Whether a read looked for the row with ``key`` (found or not)."""
        return len(table.key) == 1 and key in self._read.get((table.name, table.key[0]), ())

    def known_absent(self, table: Table[Any], key: Key) -> bool:
        """Whether ``key`` was read and not found (nor written since)."""
        read = len(table.key) == 1 and key in self._read.get((table.name, table.key[0]), ())
        return read and key not in self.found.get(table.name, {})


class FoldedProjection:
    """The projector (shared.eventstore.Projector) of ``models``: each event folded into the
    rows it touches; ``derived`` writes the tables that are not stored as folded."""

    def __init__(
        self, models: Sequence[ReadModel], derived: Mapping[str, DerivedWriter] | None = None
    ) -> None:
        self.models = tuple(models)
        self.derived = dict(derived or {})
        self._folding = FoldsByType(models)

    async def __call__(self, conn: asyncpg.Connection, recorded: RecordedEvent) -> None:
        for model in self._folding[type(recorded.event)]:
            rows = LoadedRows()
            for read in model.reads(recorded.event):
                if read.values:  # an event may name no unit, say: nothing to look for
                    await rows.load(conn, read)
            changes = model.fold(recorded, rows)
            await write_changes(conn, changes, rows, self.derived)


async def write_changes(
    conn: asyncpg.Connection,
    changes: Sequence[Change],
    rows: LoadedRows,
    derived: Mapping[str, DerivedWriter],
) -> None:
    """Each change as its own statement, in the fold's order (a case before its members)."""
    for change in changes:
        table = change.table
        if table.name in derived:
            await derived[table.name](conn, [change])
        elif isinstance(change, Delete):
            where = _matching(table.key)
            keys = change.key if len(table.key) > 1 else (change.key,)
            await conn.execute(f"DELETE FROM {table.name} WHERE {where}", *keys)
            rows.found.get(table.name, {}).pop(change.key, None)
        else:
            await _put(conn, change, rows)


async def _put(conn: asyncpg.Connection, put: Put[Any], rows: LoadedRows) -> None:
    table, key = put.table, put.table.key_of(put.row)
    columns = table.columns
    values = [getattr(put.row, column) for column in columns]
    found = rows.found.setdefault(table.name, {})
    rest = [column for column in columns if column not in table.key]
    if key in found:
        keyed = len(table.key)
        sets = ", ".join(f"{column} = ${index}" for index, column in enumerate(rest, keyed + 1))
        await conn.execute(
            f"UPDATE {table.name} SET {sets} WHERE {_matching(table.key)}",
            *(getattr(put.row, column) for column in (*table.key, *rest)),
        )
    else:
        marks = ", ".join(f"${index}" for index in range(1, len(columns) + 1))
        insert = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})"
        if not rows.known_absent(table, key):  # a row no read looked for: the latest stands
            updates = ", ".join(f"{column} = EXCLUDED.{column}" for column in rest)
            conflict = f"DO UPDATE SET {updates}" if rest else "DO NOTHING"
            insert += f" ON CONFLICT ({', '.join(table.key)}) {conflict}"
        await conn.execute(insert, *values)
    found[key] = put.row


def _matching(columns: Sequence[str]) -> str:
    return " AND ".join(f"{column} = ${index}" for index, column in enumerate(columns, 1))


class AppendProjection(FoldedProjection):
    """The same folds, over all the events of one append at once (an AppendProjector, see
    shared.appending): the rows every event reads loaded FOR UPDATE in one statement per table
    and column, the events folded in order over them in memory, and the rows as they end
    written in one statement. A placement of a family of six cost thirty-four statements,
    a read and a write per event and read model; now it costs seven, as one person does."""

    async def project_append(
        self, conn: asyncpg.Connection, recorded: Sequence[RecordedEvent]
    ) -> None:
        rows = LoadedRows()
        for read in _merged_reads(model.reads(one.event) for one in recorded
                                  for model in self._folding[type(one.event)]):  # fmt: skip
            await rows.load(conn, read)
        loaded = {table: set(found) for table, found in rows.found.items()}
        # each row as it ends: the writes of one statement may not touch a row twice
        last: dict[tuple[str, Key], Change] = {}
        for one in recorded:
            for model in self._folding[type(one.event)]:
                for change in model.fold(one, rows):
                    last[change.table.name, _key_of(change)] = change
                    _apply(rows, change)
        writes = _grouped_writes(last.values(), rows, loaded)
        if writes:
            parts = [(f"w{index}", write) for index, write in enumerate(writes)]
            statement, args = compose(parts, Write("SELECT 1"))
            await conn.execute(statement, *args)


def _merged_reads(reads: Iterable[Sequence[Read]]) -> list[Read]:
    """The reads of many events, one per table and column, naming every value they name."""
    merged: dict[tuple[str, str], tuple[Table[Any], dict[Any, None]]] = {}
    for some in reads:
        for read in some:
            values = merged.setdefault((read.table.name, read.column), (read.table, {}))[1]
            values.update(dict.fromkeys(read.values))
    return [
        Read(table, column, tuple(values))
        for (_, column), (table, values) in merged.items()
        if values
    ]


def _key_of(change: Change) -> Key:
    return change.table.key_of(change.row) if isinstance(change, Put) else change.key


def _apply(rows: LoadedRows, change: Change) -> None:
    found = rows.found.setdefault(change.table.name, {})
    if isinstance(change, Put):
        found[change.table.key_of(change.row)] = change.row
    else:
        found.pop(change.key, None)


#: how a row ends: deleted, updated (it was loaded), inserted (a read found it absent: a
#: concurrent writer that made it meanwhile makes this fail on the key), or upserted (no read
#: looked for it: the latest stands)
WriteKind = Literal["delete", "update", "insert", "upsert"]


def _grouped_writes(
    changes: Iterable[Change], rows: LoadedRows, loaded: Mapping[str, set[Key]]
) -> list[Write]:
    """Each table's rows of one kind as one write: a jsonb array of them."""
    groups: dict[tuple[str, WriteKind], tuple[Table[Any], list[list[Any]]]] = {}
    for change in changes:
        table = change.table
        if isinstance(change, Delete):
            kind: WriteKind = "delete"
            keys = change.key if len(table.key) > 1 else (change.key,)
            values = [keys[table.key.index(c)] if c in table.key else None for c in table.columns]
        else:
            key = table.key_of(change.row)
            was_read = rows.was_read(table, key)
            kind = "update" if key in loaded.get(table.name, ()) else (
                "insert" if was_read else "upsert"
            )  # fmt: skip
            values = [getattr(change.row, column) for column in table.columns]
        groups.setdefault((table.name, kind), (table, []))[1].append(values)
    return [table_write(table, kind, values) for (_, kind), (table, values) in groups.items()]


def table_write(table: Table[Any], kind: WriteKind, values: list[list[Any]]) -> Write:
    """Rows of one table (each its columns' values) deleted, updated, inserted or upserted,
    as one write: a jsonb array of them."""
    source = f"jsonb_populate_recordset(NULL::{table.name}, {{0}}::jsonb) AS r"
    args = (rows_json(table.columns, values),)
    keyed = " AND ".join(f"t.{column} = r.{column}" for column in table.key)
    # the rows' first key column again, as an array, which the planner takes for ten values:
    # of the jsonb array it never sees the length and assumes 100 rows, and against a table
    # of a few thousand rows a hash join over a scan of all of them looked cheaper than 100
    # probes of the key. Every update then read the whole table, a cost that grew with it (at
    # 100,000 people, housing's update of a unit read 200 pages, 1.9 ms: a quarter of the
    # week's statement time); with the array it probes the key's index
    first = table.key[0]
    keyed += (
        f" AND t.{first} = ANY (ARRAY(SELECT k.{first} FROM "
        f"jsonb_populate_recordset(NULL::{table.name}, {{0}}::jsonb) AS k))"
    )
    rest = [column for column in table.columns if column not in table.key]
    if kind == "delete":
        return Write(f"DELETE FROM {table.name} AS t USING {source} WHERE {keyed}", args)
    if kind == "update":
        sets = ", ".join(f"{column} = r.{column}" for column in rest)
        return Write(f"UPDATE {table.name} AS t SET {sets} FROM {source} WHERE {keyed}", args)
    columns = ", ".join(table.columns)
    insert = f"INSERT INTO {table.name} ({columns}) SELECT {columns} FROM {source}"
    if kind == "upsert":
        updates = ", ".join(f"{column} = EXCLUDED.{column}" for column in rest)
        conflict = f"DO UPDATE SET {updates}" if rest else "DO NOTHING"
        insert += f" ON CONFLICT ({', '.join(table.key)}) {conflict}"
    return Write(insert, args)
