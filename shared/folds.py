"""A read model as one pure fold: an event and the rows it touches in, the rows to write or
delete out. The same fold serves the live projection (shared.projection: it loads the rows an
event reads, folds, writes what comes back) and the rebuild (shared.rebuild: every row held in
memory, folded event after event, written with COPY at the end), so the two cannot drift.

Nothing here does I/O: a fold is tested as given rows, when an event, then these changes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, fields
from operator import attrgetter
from typing import Any, Generic, Protocol, TypeVar

from shared.schemas.base import DomainEvent

Row = TypeVar("Row")
#: a row's key: the value of its key column, or a tuple of them for a key of several columns
Key = Any


@dataclass(frozen=True)
class Table(Generic[Row]):
    """A read-model table: its rows are dataclasses of ``row``, whose fields name its columns;
    ``lookups`` are the columns other than its key by which a fold finds rows."""

    name: str
    row: type[Row]
    key: tuple[str, ...]
    lookups: tuple[str, ...] = ()
    #: computed once: a rebuild asks for hundreds of thousands of keys
    key_of: Callable[[Row], Key] = field(init=False, repr=False, compare=False)
    columns: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key_of", attrgetter(*self.key))
        columns = tuple(column.name for column in fields(self.row))  # type: ignore[arg-type]
        object.__setattr__(self, "columns", columns)


@dataclass(frozen=True, slots=True)
class Put(Generic[Row]):
    """Write ``row`` in its table: a new row, or the new state of the row with its key."""

    table: Table[Row]
    row: Row


@dataclass(frozen=True, slots=True)
class Delete:
    """Delete the row of ``table`` with ``key``."""

    table: Table[Any]
    key: Key


Change = Put[Any] | Delete


@dataclass(frozen=True, slots=True)
class Read:
    """The rows of ``table`` whose ``column`` (its key, or one of its lookups) holds one of
    ``values``: what the live projection loads before it folds an event."""

    table: Table[Any]
    column: str
    values: tuple[Any, ...]


class Recorded(Protocol):
    """What a fold knows of a stored event (shared.eventstore.RecordedEvent is one)."""

    @property
    def event(self) -> DomainEvent: ...

    @property
    def correlation_id(self) -> str: ...

    @property
    def global_position(self) -> int: ...


class Rows(Protocol):
    """The current rows a fold reads: by key, or by one of a table's lookup columns."""

    def get(self, table: Table[Row], key: Key) -> Row | None: ...

    def where(self, table: Table[Row], column: str, value: Any) -> list[Row]: ...


@dataclass(frozen=True)
class ReadModel:
    """One read model: its tables, the events it folds (no other is given to it), the rows
    such an event reads (for the live projection to load) and the fold; ``fold`` reads no row
    that ``reads`` did not name."""

    tables: tuple[Table[Any], ...]
    events: tuple[type[DomainEvent], ...]
    reads: Callable[[DomainEvent], Sequence[Read]]
    fold: Callable[[Recorded, Rows], list[Change]]


class FoldsByType:
    """The folds of ``models`` that fold each type of event, in the models' order: most events
    concern one or two read models, and a rebuild asks for every event."""

    def __init__(self, models: Sequence[ReadModel]) -> None:
        self.models = tuple(models)
        self._folds: dict[type[DomainEvent], list[ReadModel]] = {}

    def __getitem__(self, event_type: type[DomainEvent]) -> list[ReadModel]:
        found = self._folds.get(event_type)
        if found is None:
            found = [model for model in self.models if issubclass(event_type, model.events)]
            self._folds[event_type] = found
        return found


def no_reads(event: DomainEvent) -> Sequence[Read]:
    """For a read model whose fold reads no row."""
    return ()


class FoldedTables:
    """Every row of some tables, in memory, kept as the fold's changes say: the rows of a
    rebuild, and the Rows its fold reads."""

    def __init__(self, tables: Iterable[Table[Any]]) -> None:
        tables = list(tables)
        self._rows: dict[str, dict[Key, Any]] = {table.name: {} for table in tables}
        #: per table and lookup column: its rows by that column's value, then by key
        self._by: dict[tuple[str, str], dict[Any, dict[Key, Any]]] = {
            (table.name, column): {} for table in tables for column in table.lookups
        }

    def get(self, table: Table[Row], key: Key) -> Row | None:
        row: Row | None = self._rows[table.name].get(key)
        return row

    def where(self, table: Table[Row], column: str, value: Any) -> list[Row]:
        return list(self._by[table.name, column].get(value, {}).values())

    def rows(self, table: Table[Row]) -> Iterable[Row]:
        return self._rows[table.name].values()

    def apply(self, changes: Sequence[Change]) -> None:
        for change in changes:
            table = change.table
            rows = self._rows[table.name]
            if isinstance(change, Put):
                key = table.key_of(change.row)
                before = rows.get(key)
                rows[key] = change.row
                if table.lookups:
                    self._unindex(table, key, before)
                    for column in table.lookups:
                        by = self._by[table.name, column]
                        by.setdefault(getattr(change.row, column), {})[key] = change.row
            elif (before := rows.pop(change.key, None)) is not None:
                self._unindex(table, change.key, before)

    def _unindex(self, table: Table[Any], key: Key, row: Any) -> None:
        if row is None:
            return
        for column in table.lookups:
            by = self._by[table.name, column]
            value = getattr(row, column)
            found = by.get(value)
            if found is not None:
                found.pop(key, None)
                if not found:
                    del by[value]
