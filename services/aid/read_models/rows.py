"""Aid's read-model rows, one type a table, and what a fold of them is.

A row type's fields are its table's columns, its primary key first. Each table is written by one
pure fold (``TableFold``): given an event and the rows it names as they were before the event,
the rows to write. The live projection (services/aid/projections.py) loads those rows and writes
what the fold returns; the rebuild (services/aid/rebuild.py) keeps them in memory and copies
them at the end. So an invariant is written once, and a rebuild ends where the live rows are.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple, Protocol, TypeVar
from uuid import UUID

from shared.schemas.base import DomainEvent

Lots = tuple[tuple[date | None, int], ...]


class Beneficiary(NamedTuple):
    person_id: UUID
    arrival_id: UUID | None = None
    age_band: str | None = None
    registered_at: datetime | None = None
    shelter_id: UUID | None = None
    resident_since: datetime | None = None
    status: str = "registered"
    vulnerable: bool = False


class Entitlement(NamedTuple):
    person_id: UUID
    item: str
    per_day: int
    granted_at: datetime
    closed_at: datetime | None = None
    closed_reason: str | None = None


class ItemRule(NamedTuple):
    item: str
    per: str
    max_per_day: int | None
    min_interval_hours: int
    residents_only: bool
    vulnerable_first: bool
    total_cap: int | None
    low_stock_level: int
    set_at: datetime


class Stock(NamedTuple):
    """What a site holds of an item, in lots (expiry, units), earliest expiry first."""

    site_id: str
    item: str
    quantity: int
    lots: Lots
    earliest_expiry: date | None
    updated_at: datetime


class StockMovement(NamedTuple):
    stream_id: str
    version: int
    site_id: str
    item: str
    kind: str
    quantity: int
    reference_id: UUID
    other_site_id: str | None
    donor_kind: str | None
    reason: str | None
    expires_on: date | None
    occurred_at: datetime


class Issue(NamedTuple):
    issue_id: UUID
    person_id: UUID
    household_id: UUID | None
    item: str
    quantity: int
    site_id: str
    issued_at: datetime
    day: date


class DailyTotal(NamedTuple):
    day: date
    site_id: str
    item: str
    issued: int = 0
    distributions: int = 0
    people: int = 0
    received: int = 0
    transferred_in: int = 0
    transferred_out: int = 0
    written_off: int = 0


class SupportRequest(NamedTuple):
    """A request's row but its details, which are kept outside the events and copied into it
    (services/aid/request_details.py)."""

    request_id: UUID
    person_id: UUID
    kind: str
    status: str
    destination_country: str | None
    requested_at: datetime
    closed_at: datetime | None = None
    withdrawn_reason: str | None = None


class SupportMatch(NamedTuple):
    match_id: UUID
    request_id: UUID
    offer_id: UUID
    basis: str
    status: str
    proposed_at: datetime
    updated_at: datetime
    withdrawn_reason: str | None = None


class SupportOffer(NamedTuple):
    offer_id: UUID
    kind: str
    status: str
    country: str | None
    city: str | None
    profession: str | None
    skills: list[str]
    languages: list[str]
    places: int
    published_at: datetime
    places_taken: int = 0
    partner: str | None = None
    title: str | None = None
    description: str | None = None
    contact: str | None = None
    available_until: date | None = None
    withdrawn_at: datetime | None = None
    #: the city as matching compares it (services.aid.domain.matching.place_key)
    city_key: str | None = None


Row = (
    Beneficiary | Entitlement | ItemRule | Stock | StockMovement | Issue | DailyTotal
    | SupportRequest | SupportMatch | SupportOffer
)  # fmt: skip
R = TypeVar("R", bound=Row)


@dataclass(frozen=True, slots=True)
class Table:
    """A read-model table: its name, its columns (its row type's fields) and how many of them,
    first, are its primary key; with how a row becomes a record and back where a column is
    stored in another form."""

    name: str
    row: type[Row]
    key: int
    record: Callable[[Any], tuple[Any, ...]] | None = None
    from_record: Callable[[Sequence[Any]], Row] | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        return self.row._fields


def _stock_record(stock: Stock) -> tuple[Any, ...]:
    lots = [[expiry.isoformat() if expiry else None, units] for expiry, units in stock.lots]
    return stock._replace(lots=json.dumps(lots))  # type: ignore[arg-type]  # jsonb as text


def _stock_from_record(record: Sequence[Any]) -> Stock:
    stored = json.loads(record[3])
    lots = tuple((date.fromisoformat(e) if e else None, units) for e, units in stored)
    return Stock(record[0], record[1], record[2], lots, record[4], record[5])


#: every read-model table, in the order the rebuild empties them
TABLES: dict[type[Row], Table] = {
    table.row: table
    for table in (
        Table("entitlements", Entitlement, 2),
        Table("beneficiaries", Beneficiary, 1),
        Table("item_rules", ItemRule, 1),
        Table("stock", Stock, 2, _stock_record, _stock_from_record),
        Table("stock_movements", StockMovement, 2),
        Table("issues", Issue, 1),
        Table("daily_totals", DailyTotal, 3),
        Table("support_matches", SupportMatch, 1),
        Table("support_requests", SupportRequest, 1),
        Table("support_offers", SupportOffer, 1),
    )
}


class Collector(NamedTuple):
    """Who collected an item at a site on a day: looked up in the issues, to count people once."""

    day: date
    site_id: str
    item: str
    person_id: UUID


@dataclass(frozen=True, slots=True)
class Gone:
    """A row deleted, by its table and primary key."""

    row: type[Row]
    key: tuple[Any, ...]


#: what a fold reads: a row by its table and primary key, or whether someone collected
Read = tuple[type[Row], tuple[Any, ...]] | Collector
#: what a fold writes: a row as it is now (inserted or replaced), or one gone
Change = Row | Gone


class Rows(Protocol):
    """The rows as they were before the event: loaded from the tables for the live projection,
    held in memory for a rebuild."""

    def get(self, row: type[R], key: tuple[Any, ...]) -> R | None: ...

    def collected(self, collector: Collector) -> bool: ...


@dataclass(frozen=True, slots=True)
class TableFold:
    """The one fold of a table: for each of ``events``, the rows it ``reads`` (its table's or
    another's), and from them, as they were before the event, the rows of its table that the
    event changes (``fold``: the event, its version in its stream, the rows)."""

    row: type[Row]
    events: tuple[type[DomainEvent], ...]
    reads: Callable[[Any], Sequence[Read]]
    fold: Callable[[Any, int, Rows], Sequence[Change]]


def reads_nothing(event: DomainEvent) -> Sequence[Read]:
    """For a fold whose rows are new, or replaced whatever they were."""
    return ()


def key_of(row: Row) -> tuple[Any, ...]:
    return row[: TABLES[type(row)].key]
