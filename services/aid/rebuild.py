"""Aid's read models folded in memory from its events and written with COPY (shared.rebuild):
the rows projections.project writes one event at a time, by the same folds
(services/aid/read_models), built at once for a rebuild."""

from __future__ import annotations

from typing import Any, cast

import asyncpg

from services.aid.read_models.folds import changes
from services.aid.read_models.rows import TABLES, Collector, Gone, Issue, R, Row
from services.aid.request_details import FILL_READ_MODEL
from shared.eventstore import RecordedEvent

_KEY_LENGTH = {row: table.key for row, table in TABLES.items()}


class AidReadModels:
    """Every table's rows by primary key, as the folds left them; and who collected what where
    on which day (the issues' collectors), so that a day's totals count people once."""

    def __init__(self) -> None:
        self.tables: dict[type[Any], dict[tuple[Any, ...], Row]] = {row: {} for row in TABLES}
        self.collectors: set[Collector] = set()

    def get(self, row: type[R], key: tuple[Any, ...]) -> R | None:
        return cast("R | None", self.tables[row].get(key))

    def collected(self, collector: Collector) -> bool:
        return collector in self.collectors

    def apply(self, recorded: RecordedEvent) -> None:
        for change in changes(recorded.event, recorded.version, self):
            if isinstance(change, Gone):
                del self.tables[change.row][change.key]
                continue
            self.tables[type(change)][change[: _KEY_LENGTH[type(change)]]] = change
            if isinstance(change, Issue):
                self.collectors.add(
                    Collector(change.day, change.site_id, change.item, change.person_id)
                )

    async def write(self, conn: asyncpg.Connection) -> None:
        for row, table in TABLES.items():
            rows = self.tables[row].values()
            await conn.copy_records_to_table(
                table.name, records=map(table.record, rows) if table.record else rows,
                columns=table.columns,
            )  # fmt: skip
        await conn.execute(FILL_READ_MODEL, None)  # the details, kept outside the events
