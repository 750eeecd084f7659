"""given(events).when(event).then(changes) for read-model folds (shared.folds).

The fold is run twice on the ``when`` event: over every row (as the rebuild runs it) and over
only the rows its ``reads`` name (as the live projection runs it). Both must give the same
changes, so a fold that reads a row its reads do not load fails here, not in production."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from shared.folds import Change, FoldedTables, Key, ReadModel, Row, Table
from shared.schemas.base import DomainEvent


@dataclass(frozen=True)
class At:
    """An event as a fold sees it, at a position."""

    event: DomainEvent
    global_position: int
    correlation_id: str = "correlation"


class _OnlyRead:
    """The rows of ``tables`` that ``reads`` name, and no other: what the live projection loads."""

    def __init__(self, tables: FoldedTables, model: ReadModel, event: DomainEvent) -> None:
        self.tables = tables
        self.read = {
            (r.table.name, r.column, value) for r in model.reads(event) for value in r.values
        }

    def get(self, table: Table[Row], key: Key) -> Row | None:
        assert (table.name, table.key[0], key) in self.read, f"{table.name} {key} not read"
        return self.tables.get(table, key)

    def where(self, table: Table[Row], column: str, value: Any) -> list[Row]:
        assert (table.name, column, value) in self.read, f"{table.name} by {column} not read"
        return self.tables.where(table, column, value)


@dataclass
class FoldScenario:
    models: Sequence[ReadModel]
    tables: FoldedTables = field(init=False)
    position: int = 0

    def __post_init__(self) -> None:
        self.tables = FoldedTables(table for model in self.models for table in model.tables)

    def given(self, *events: DomainEvent) -> FoldScenario:
        for event in events:
            at = self._at(event)
            for model in self.models:
                if isinstance(event, model.events):
                    self.tables.apply(model.fold(at, self.tables))
        return self

    def when(self, event: DomainEvent) -> list[Change]:
        at = self._at(event)
        changes: list[Change] = []
        for model in self.models:
            if not isinstance(event, model.events):
                assert model.fold(at, self.tables) == [], f"{model.events} lacks {type(event)}"
                continue
            folded = model.fold(at, self.tables)
            assert model.fold(at, _OnlyRead(self.tables, model, event)) == folded
            changes += folded
        return changes

    def then(self, event: DomainEvent, *expected: Change) -> None:
        assert self.when(event) == list(expected)

    def rows(self, table: Table[Row]) -> list[Row]:
        return list(self.tables.rows(table))

    def _at(self, event: DomainEvent) -> At:
        self.position += 1
        return At(event, self.position)


def given(models: Sequence[ReadModel], *events: DomainEvent) -> FoldScenario:
    return FoldScenario(models).given(*events)
