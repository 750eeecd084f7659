"""The folds of what each site holds (stock, in lots), every change of it (stock_movements),
what each person got (issues), and the totals per day, site and item (daily_totals)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any, get_args
from uuid import UUID

from services.aid.domain.rules import local_day
from services.aid.read_models.rows import (
    Change,
    Collector,
    DailyTotal,
    Issue,
    Lots,
    Read,
    Rows,
    Stock,
    StockMovement,
    TableFold,
    reads_nothing,
)
from shared.schemas.aid import (
    AidIssued,
    DonationReceived,
    HouseholdAidIssued,
    StockIssued,
    StockLot,
    StockTransferredIn,
    StockTransferredOut,
    StockWrittenOff,
)
from shared.schemas.base import DomainEvent

StockEvent = (
    DonationReceived | StockTransferredIn | StockTransferredOut | StockWrittenOff | StockIssued
)
IssueEvent = AidIssued | HouseholdAidIssued
_MOVEMENT = {
    DonationReceived: ("donation", 1),
    StockTransferredIn: ("transfer_in", 1),
    StockTransferredOut: ("transfer_out", -1),
    StockWrittenOff: ("write_off", -1),
    StockIssued: ("issue", -1),
}
#: the column of daily_totals a stock movement adds to (an issue is counted by AidIssued)
DAILY_COLUMN: dict[type[DomainEvent], str] = {
    DonationReceived: "received",
    StockTransferredIn: "transferred_in",
    StockTransferredOut: "transferred_out",
    StockWrittenOff: "written_off",
}
#: what a day's totals count: stock received, moved and written off, and issues
DayEvent = (
    DonationReceived | StockTransferredIn | StockTransferredOut | StockWrittenOff | IssueEvent
)


def lots_after(before: Iterable[tuple[date | None, int]], event: StockEvent) -> Lots:
    """A stock's lots (expiry, units) after a movement, earliest expiry first and those that
    never expire last; emptied lots are dropped."""
    units = dict(before)
    _, sign = _MOVEMENT[type(event)]
    moved = (
        (StockLot(expires_on=event.expires_on, quantity=event.quantity),)
        if isinstance(event, DonationReceived)
        else event.lots
    )
    for lot in moved:
        units[lot.expires_on] = units.get(lot.expires_on, 0) + sign * lot.quantity
    return tuple(
        sorted(
            ((expiry, quantity) for expiry, quantity in units.items() if quantity),
            key=lambda lot: (lot[0] is None, lot[0] or date.max),
        )
    )


def stock_reads(event: StockEvent) -> Sequence[Read]:
    return ((Stock, (event.site_id, event.item.value)),)


def stock_fold(event: StockEvent, version: int, rows: Rows) -> Sequence[Change]:
    before = rows.get(Stock, (event.site_id, event.item.value))
    lots = lots_after(before.lots if before else (), event)
    return (
        Stock(
            event.site_id, event.item.value, sum(units for _, units in lots), lots,
            lots[0][0] if lots else None, event.occurred_at,
        ),
    )  # fmt: skip


def movement_fold(event: StockEvent, version: int, rows: Rows) -> Sequence[Change]:
    """A change of one site's stock of one item, signed."""
    kind, sign = _MOVEMENT[type(event)]
    reference, other_site, donor, reason, expires = _movement_details(event)
    return (
        StockMovement(
            event.stream_id, version, event.site_id, event.item.value, kind,
            sign * event.quantity, reference, other_site, donor, reason, expires,
            event.occurred_at,
        ),
    )  # fmt: skip


def _movement_details(
    event: StockEvent,
) -> tuple[Any, str | None, str | None, str | None, date | None]:
    if isinstance(event, DonationReceived):
        return event.donation_id, None, event.donor_kind.value, None, event.expires_on
    if isinstance(event, StockTransferredIn):
        return event.transfer_id, event.from_site_id, None, None, None
    if isinstance(event, StockTransferredOut):
        return event.transfer_id, event.to_site_id, None, None, None
    if isinstance(event, StockWrittenOff):
        return event.write_off_id, None, None, event.reason.value, None
    return event.issue_id, None, None, None, None


def issue_fold(event: IssueEvent, version: int, rows: Rows) -> Sequence[Change]:
    """What one person collected, where and on which local day."""
    household = event.household_id if isinstance(event, HouseholdAidIssued) else None
    return (
        Issue(
            event.issue_id, event.person_id, household, event.item.value, event.quantity,
            event.site_id, event.occurred_at, local_day(event.occurred_at),
        ),
    )  # fmt: skip


def _day_key(event: DayEvent) -> tuple[date, str, str]:
    return local_day(event.occurred_at), event.site_id, event.item.value


def daily_total_reads(event: DayEvent) -> Sequence[Read]:
    key = _day_key(event)
    if isinstance(event, AidIssued | HouseholdAidIssued):
        return (DailyTotal, key), Collector(*key, event.person_id)
    return ((DailyTotal, key),)


def issue_reads(site_id: str, item: str, at: datetime, people: Iterable[UUID]) -> list[Read]:
    """The rows the issues of one stock to ``people`` at ``at`` read (``stock_reads`` and
    ``daily_total_reads`` of their StockIssued and AidIssued events): read with the stock, so
    that projecting the group costs no round trip of its own."""
    day = local_day(at)
    return [
        (Stock, (site_id, item)),
        (DailyTotal, (day, site_id, item)),
        *(Collector(day, site_id, item, person) for person in people),
    ]


def daily_total_fold(event: DayEvent, version: int, rows: Rows) -> Sequence[Change]:
    key = _day_key(event)
    total = rows.get(DailyTotal, key) or DailyTotal(*key)
    if isinstance(event, AidIssued | HouseholdAidIssued):
        # a person who collected the item here today already is counted once; the row is
        # built rather than replaced, as a rebuild does this for every issue
        first_today = not rows.collected(Collector(*key, event.person_id))
        return (
            DailyTotal(
                *key, total.issued + event.quantity, total.distributions + 1,
                total.people + first_today, total.received, total.transferred_in,
                total.transferred_out, total.written_off,
            ),
        )  # fmt: skip
    column = DAILY_COLUMN[type(event)]
    return (total._replace(**{column: getattr(total, column) + event.quantity}),)


STOCK = TableFold(Stock, get_args(StockEvent), stock_reads, stock_fold)
STOCK_MOVEMENTS = TableFold(StockMovement, get_args(StockEvent), reads_nothing, movement_fold)
ISSUES = TableFold(Issue, get_args(IssueEvent), reads_nothing, issue_fold)
DAILY_TOTALS = TableFold(DailyTotal, get_args(DayEvent), daily_total_reads, daily_total_fold)
