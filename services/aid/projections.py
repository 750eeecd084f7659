"""Aid's read models, projected inline from its events (published and internal):

- beneficiaries and entitlements: who aid knows, where they live, what they are entitled to;
- item_rules: the rules the centre set (the defaults live in the domain);
- stock (with its lots) and stock_movements: what each site holds, and every change of it;
- issues and daily_totals: what each person got and when, and per day, site and item;
- support_requests, support_offers, support_matches: the way forward.

What each row becomes is the one fold of its table (services/aid/read_models), which the
rebuild uses too: this module only loads the rows the folds read and writes the rows they
return. Every value comes from an event, never from the clock, so a rebuild gives the same rows.

The events of one append are projected together (``projection_writes``): the rows they read
are loaded in one statement (each table's an array of records, ``rows_read``; a caller may
read them with something else it reads, and pass them as ``loaded``), the folds run over them
in the events' order in memory, and each table's final rows are written by one statement, which
may ride in the append's own (``EventStore.append_streams(..., project=False, alongside=...)``):
a group of distributions costs the same few round trips as one.

The rows are read FOR UPDATE: each is written only by the events of one stream (a person, a
stock, a request, an offer), or under the stock's queue (a day's totals, services/aid/app/
distributions.py), so its writers come one after the other already; the lock keeps a writer
outside them from losing an update between the read and the write.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from typing import Any, NamedTuple, cast

import asyncpg

from services.aid.read_models.folds import changes, reads
from services.aid.read_models.rows import TABLES, Collector, Gone, Issue, R, Read, Row, Table
from services.aid.request_details import FILL_READ_MODEL
from shared.appending import PendingEvent
from shared.eventstore import RecordedEvent
from shared.schemas.aid import SupportRequested
from shared.statement import Write, compose

READ_MODEL_TABLES = tuple(table.name for table in TABLES.values())

Key = tuple[type[Any], tuple[Any, ...]]


class AidProjector:
    """Aid's store's projector (shared.appending.AppendProjector): the events of one append are
    projected together, their rows read in one statement and written in one, however many
    events it holds (an arrival's people taken in together, services/aid/app/beneficiaries.py,
    would otherwise cost a read and a write each). A support request's details are copied into
    its row after that: they live outside the events, and no fold writes them, so a later event
    of the same append folds the row the same without them."""

    async def __call__(self, conn: asyncpg.Connection, recorded: RecordedEvent) -> None:
        await self.project_append(conn, [recorded])

    async def project_append(
        self, conn: asyncpg.Connection, recorded: Sequence[RecordedEvent]
    ) -> None:
        writes = await projection_writes(
            conn, [(one.stream_id, one.version, one.event) for one in recorded]
        )
        if writes:
            sql, args = compose([(f"w{i}", write) for i, write in enumerate(writes)], _DONE)
            await conn.execute(sql, *args)
        for one in recorded:
            if isinstance(one.event, SupportRequested):  # kept just before (request_details.py)
                await conn.execute(FILL_READ_MODEL, one.event.request_id)


project = AidProjector()


async def projection_writes(
    conn: asyncpg.Connection, pending: Sequence[PendingEvent], loaded: Loaded | None = None
) -> list[Write]:
    """The writes that project ``pending`` (stream, version, event), folded in this order:
    each table's rows as the last of them leaves them. A SupportRequested's details are not
    among them (``project`` copies them after its row is written). ``loaded``: rows read
    already in this transaction (``rows_read``); only the others are read here."""
    wanted = [read for _, _, event in pending for read in reads(event)]
    known = loaded or Loaded({}, {})
    missing = [read for read in wanted if not known.has(read)]
    folding = _Folding(known, await _load(conn, missing) if missing else None)
    for _, version, event in pending:
        folding.apply(changes(event, version, folding))
    return folding.writes()


class Loaded(NamedTuple):
    """Rows read for a fold (None: no such row), and whether each collector collected."""

    rows: dict[Key, Row | None]
    seen: dict[Collector, bool]

    def has(self, read: Read) -> bool:
        return read in self.seen if isinstance(read, Collector) else read in self.rows


class _Folding:
    """The rows the folds of some events read, as loaded and then as each event leaves them;
    a row no fold declared it reads is an error here (rather than read as missing, which the
    rebuild would not)."""

    def __init__(self, known: Loaded, more: Loaded | None) -> None:
        self.rows = {**known.rows, **more.rows} if more else known.rows
        self.seen = {**known.seen, **more.seen} if more else known.seen
        self.written: dict[Key, Row | Gone] = {}
        self.collectors: set[Collector] = set()

    def get(self, row: type[R], key: tuple[Any, ...]) -> R | None:
        written = self.written.get((row, key))
        if written is not None:
            return None if isinstance(written, Gone) else cast("R", written)
        return cast("R | None", self.rows[row, key])

    def collected(self, collector: Collector) -> bool:
        return collector in self.collectors or self.seen[collector]

    def apply(self, folded: Sequence[Row | Gone]) -> None:
        for change in folded:
            if isinstance(change, Gone):
                self.written[change.row, change.key] = change
                continue
            self.written[type(change), change[: TABLES[type(change)].key]] = change
            if isinstance(change, Issue):
                self.collectors.add(
                    Collector(change.day, change.site_id, change.item, change.person_id)
                )

    def writes(self) -> list[Write]:
        upserts: dict[type[Row], list[Row]] = {}
        gone: dict[type[Row], list[tuple[Any, ...]]] = {}
        for (row_type, key), change in self.written.items():
            if isinstance(change, Gone):
                gone.setdefault(row_type, []).append(key)
            else:
                upserts.setdefault(row_type, []).append(change)
        return [_delete(TABLES[row], keys) for row, keys in gone.items()] + [
            _upsert(TABLES[row], rows) for row, rows in upserts.items()
        ]


async def _load(conn: asyncpg.Connection, wanted: list[Read]) -> Loaded:
    """The rows and collectors ``wanted``, in one round trip."""
    columns, args, loaded = rows_read(wanted)
    found = await conn.fetchrow(f"SELECT {columns}", *args)
    assert found is not None  # a SELECT without FROM returns its one row
    return loaded(found)


def rows_read(
    wanted: Sequence[Read], first: int = 1
) -> tuple[str, list[Any], Callable[[Sequence[Any]], Loaded]]:
    """The columns of a ``SELECT`` that reads the rows ``wanted`` (one per kind of row, an
    array of records each; its arguments numbered from ``$first``), their arguments, and
    what the columns' values, in order, are as loaded rows: another read may put its own
    columns before them, and so save a round trip."""
    keys: dict[type[Row], dict[tuple[Any, ...], None]] = {}
    collectors: dict[Collector, None] = {}
    for read in wanted:
        if isinstance(read, Collector):
            collectors[read] = None
        else:
            keys.setdefault(read[0], {})[read[1]] = None
    counts = (len(collectors), *((TABLES[row], len(found)) for row, found in keys.items()))
    args = _flat(list(collectors)) + [
        value for table_keys in keys.values() for value in _flat(list(table_keys))
    ]

    def loaded(found: Sequence[Any]) -> Loaded:
        seen = dict.fromkeys(collectors, False)
        seen.update((Collector(*record), True) for record in found[0])
        rows: dict[Key, Row | None] = {}
        for column, (row_type, table_keys) in enumerate(keys.items(), start=1):
            table = TABLES[row_type]
            rows.update(((row_type, key), None) for key in table_keys)
            for record in found[column]:
                row = (table.from_record or row_type._make)(record)
                rows[row_type, tuple(row[: table.key])] = row
        return Loaded(rows, seen)

    return _rows_of(counts, first), args, loaded


def _flat(keys: Sequence[tuple[Any, ...]]) -> list[Any]:
    return [value for key in keys for value in key]


def _tuples(width: int, count: int, *, braces: bool = False, first: int = 1) -> str:
    """``($1, $2), ($3, $4)`` for ``count`` keys of ``width`` values (numbered from
    ``first``); ``({0}, {1}), ...`` for a Write, whose arguments compose numbers."""
    marks = [f"{{{i}}}" if braces else f"${first + i}" for i in range(width * count)]
    return ", ".join(
        "(" + ", ".join(marks[i * width : (i + 1) * width]) + ")" for i in range(count)
    )


def _by_keys(table: Table, count: int, *, braces: bool = False, first: int = 1) -> str:
    """The condition that picks ``count`` rows of a table by their primary keys."""
    key = table.columns[: table.key]
    return f"({', '.join(key)}) IN ({_tuples(table.key, count, braces=braces, first=first)})"


@cache
def _rows_of(counts: tuple[Any, ...], first: int) -> str:
    """The columns: first the collectors found among ``counts[0]`` (day, site, item, person), then
    for each (table, count) after it the rows of ``count`` primary keys, locked; each column an
    array of records in the table's column order. The collectors are found by the person (index
    issues_collector), whose issues are few, however many people the site served that day."""
    collected, *tables = counts
    issues = TABLES[Issue].name
    columns = [
        "ARRAY(SELECT DISTINCT ROW(day, site_id, item, person_id) FROM "
        f"{issues} WHERE (day, site_id, item, person_id) IN "
        f"({_tuples(4, collected, first=first)}))"
        if collected
        else "'{}'::record[]"
    ]
    first += 4 * collected
    for table, count in tables:
        columns.append(
            f"ARRAY(SELECT ROW({', '.join(table.columns)}) FROM {table.name} "
            f"WHERE {_by_keys(table, count, first=first)} FOR UPDATE)"
        )
        first += table.key * count
    return ", ".join(columns)


def _upsert(table: Table, rows: list[Row]) -> Write:
    """Rows inserted, or replacing those of their keys (the columns they do not own stay)."""
    records = [(table.record or tuple)(row) for row in rows]
    return Write(_upsert_sql(table, len(rows)), tuple(v for record in records for v in record))


@cache
def _upsert_sql(table: Table, count: int) -> str:
    columns, key = table.columns, table.columns[: table.key]
    updates = ", ".join(f"{column} = EXCLUDED.{column}" for column in columns[table.key :])
    return (
        f"INSERT INTO {table.name} ({', '.join(columns)}) "
        f"VALUES {_tuples(len(columns), count, braces=True)} "
        f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}"
    )


def _delete(table: Table, keys: list[tuple[Any, ...]]) -> Write:
    return Write(_delete_sql(table, len(keys)), tuple(_flat(keys)))


@cache
def _delete_sql(table: Table, count: int) -> str:
    return f"DELETE FROM {table.name} WHERE {_by_keys(table, count, braces=True)}"


_DONE = Write("SELECT 1")
