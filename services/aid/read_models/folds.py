"""The folds an event goes through, by its type: every table's rows an event changes, computed
from the rows as they were before it (a fold never sees another's writes of the same event)."""

from __future__ import annotations

from services.aid.read_models.beneficiaries import BENEFICIARIES, ENTITLEMENTS, ITEM_RULES
from services.aid.read_models.rows import Change, Read, Rows, TableFold
from services.aid.read_models.stock import DAILY_TOTALS, ISSUES, STOCK, STOCK_MOVEMENTS
from services.aid.read_models.support import SUPPORT_MATCHES, SUPPORT_OFFERS, SUPPORT_REQUESTS
from shared.schemas.base import DomainEvent

#: the one fold of each table
TABLE_FOLDS: tuple[TableFold, ...] = (
    BENEFICIARIES, ENTITLEMENTS, ITEM_RULES, STOCK, STOCK_MOVEMENTS, ISSUES, DAILY_TOTALS,
    SUPPORT_REQUESTS, SUPPORT_MATCHES, SUPPORT_OFFERS,
)  # fmt: skip

FOLDS: dict[type[DomainEvent], tuple[TableFold, ...]] = {}
for _fold in TABLE_FOLDS:
    for _event in _fold.events:
        FOLDS[_event] = (*FOLDS.get(_event, ()), _fold)


def reads(event: DomainEvent) -> list[Read]:
    """The rows the folds of ``event`` read."""
    return [read for fold in FOLDS.get(type(event), ()) for read in fold.reads(event)]


def changes(event: DomainEvent, version: int, rows: Rows) -> list[Change]:
    """The rows ``event`` writes, each table's by its fold, from ``rows`` as before it."""
    return [
        change for fold in FOLDS.get(type(event), ()) for change in fold.fold(event, version, rows)
    ]
