"""Aid's read models, projected inline from its events (published and internal):

- beneficiaries and entitlements: who aid knows, where they live, what they are entitled to;
- item_rules: the rules the centre set (the defaults live in the domain);
- stock (with its lots) and stock_movements: what each site holds, and every change of it;
- issues and daily_totals: what each person got and when, and per day, site and item;
- support_requests, support_offers, support_matches: the way forward.

What each row becomes is the one fold of its table (services/aid/read_models), which the
rebuild uses too: this module only loads the rows a fold reads and writes the rows it returns.
Every value comes from an event, never from the clock, so a rebuild gives the same rows.

The rows are read FOR UPDATE: each is written only by the events of one stream (a person, a
stock, a request, an offer), or under the stock's queue (a day's totals, services/aid/app/
distributions.py), so its writers come one after the other already; the lock keeps a writer
outside them from losing an update between the read and the write.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, cast

import asyncpg

from services.aid.read_models.folds import changes, reads
from services.aid.read_models.rows import TABLES, Collector, Gone, Issue, R, Read, Row, Table
from services.aid.request_details import FILL_READ_MODEL
from shared.eventstore import RecordedEvent
from shared.schemas.aid import SupportRequested

READ_MODEL_TABLES = tuple(table.name for table in TABLES.values())


async def project(conn: asyncpg.Connection, recorded: RecordedEvent) -> None:
    event = recorded.event
    rows = await _load(conn, reads(event))
    for change in changes(event, recorded.version, rows):
        if isinstance(change, Gone):
            await conn.execute(_DELETE[change.row], *change.key)
        else:
            table = TABLES[type(change)]
            await conn.execute(_UPSERT[table.row], *(table.record or tuple)(change))
    if isinstance(event, SupportRequested):
        # the details were kept just before, outside the events (services/aid/request_details)
        await conn.execute(FILL_READ_MODEL, event.request_id)


class _Loaded:
    """The rows the folds of one event read, as they were; a row they did not ask for is an
    error here (rather than read as missing, which the rebuild would not)."""

    def __init__(
        self, rows: dict[tuple[type[Any], tuple[Any, ...]], Row | None], seen: dict[Collector, bool]
    ) -> None:
        self.rows, self.seen = rows, seen

    def get(self, row: type[R], key: tuple[Any, ...]) -> R | None:
        return cast("R | None", self.rows[row, key])

    def collected(self, collector: Collector) -> bool:
        return self.seen[collector]


async def _load(conn: asyncpg.Connection, wanted: list[Read]) -> _Loaded:
    keys: dict[type[Row], list[tuple[Any, ...]]] = defaultdict(list)
    seen: dict[Collector, bool] = {}
    for read in wanted:
        if isinstance(read, Collector):
            seen[read] = bool(await conn.fetchval(_COLLECTED, *read))
        else:
            keys[read[0]].append(read[1])
    rows: dict[tuple[type[Any], tuple[Any, ...]], Row | None] = {}
    for row_type, table_keys in keys.items():
        table = TABLES[row_type]
        rows.update(((row_type, key), None) for key in table_keys)
        for record in await conn.fetch(_select(table, len(table_keys)), *_flat(table_keys)):
            row = (table.from_record or row_type._make)(record)
            rows[row_type, tuple(row[: table.key])] = row
    return _Loaded(rows, seen)


def _flat(keys: list[tuple[Any, ...]]) -> list[Any]:
    return [value for key in keys for value in key]


def _select(table: Table, count: int) -> str:
    """A table's rows by ``count`` primary keys, locked."""
    key = table.columns[: table.key]
    values = ", ".join(
        "(" + ", ".join(f"${i * table.key + j + 1}" for j in range(table.key)) + ")"
        for i in range(count)
    )
    return (
        f"SELECT {', '.join(table.columns)} FROM {table.name} "
        f"WHERE ({', '.join(key)}) IN ({values}) FOR UPDATE"
    )


def _upsert(table: Table) -> str:
    """A row inserted, or replacing the one of its key (the columns it does not own stay)."""
    columns, key = table.columns, table.columns[: table.key]
    placeholders = ", ".join(f"${i + 1}" for i in range(len(columns)))
    updates = ", ".join(f"{column} = EXCLUDED.{column}" for column in columns[table.key :])
    return (
        f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({placeholders}) "
        f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}"
    )


def _delete(table: Table) -> str:
    key = table.columns[: table.key]
    placeholders = ", ".join(f"${i + 1}" for i in range(table.key))
    return f"DELETE FROM {table.name} WHERE ({', '.join(key)}) = ({placeholders})"


_UPSERT = {row: _upsert(table) for row, table in TABLES.items()}
_DELETE = {row: _delete(table) for row, table in TABLES.items()}
_ISSUES = TABLES[Issue].name
_COLLECTED = (
    f"SELECT EXISTS (SELECT 1 FROM {_ISSUES} "
    "WHERE day = $1 AND site_id = $2 AND item = $3 AND person_id = $4)"
)
