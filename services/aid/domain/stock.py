"""One item's stock at one site, in lots by expiry date. It never goes below zero: every unit
that leaves (issue, transfer, write-off) is taken from lots that hold it, first expiring first
out, and expired food is never handed out or sent on, only written off."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from services.aid.domain.item_rules import PERISHABLE, UNITS
from services.aid.domain.rules import Refused, Rule, local_day
from shared.decision import Decider, DomainError
from shared.schemas.aid import (
    AidItem,
    DonationReceived,
    DonorKind,
    StockIssued,
    StockLot,
    StockTransferredIn,
    StockTransferredOut,
    StockWrittenOff,
    WriteOffReason,
    stock_id_of,
)
from shared.schemas.base import DomainEvent


@dataclass(frozen=True)
class ReceiveDonation:
    site_id: str
    item: AidItem
    donation_id: UUID
    quantity: int
    unit: str
    donor_kind: DonorKind
    expires_on: date | None
    actor: str
    now: datetime


@dataclass(frozen=True)
class TransferOut:
    site_id: str
    item: AidItem
    transfer_id: UUID
    to_site_id: str
    quantity: int
    actor: str
    now: datetime


@dataclass(frozen=True)
class TransferIn:
    site_id: str
    item: AidItem
    transfer_id: UUID
    from_site_id: str
    lots: tuple[StockLot, ...]
    actor: str
    now: datetime


@dataclass(frozen=True)
class WriteOff:
    site_id: str
    item: AidItem
    write_off_id: UUID
    quantity: int
    reason: WriteOffReason
    actor: str
    now: datetime


@dataclass(frozen=True)
class DrawStock:
    """Take the units of a distribution. ``reserve`` units are kept for vulnerable people when
    the item is vulnerable-first (0 otherwise)."""

    site_id: str
    item: AidItem
    issue_id: UUID
    quantity: int
    reserve: int
    recipient_vulnerable: bool
    actor: str
    now: datetime


StockCommand = ReceiveDonation | TransferOut | TransferIn | WriteOff | DrawStock


@dataclass(frozen=True)
class Stock:
    #: (expiry or None, units), soonest expiry first, what does not expire last
    lots: tuple[tuple[date | None, int], ...] = ()

    @property
    def quantity(self) -> int:
        return sum(units for _, units in self.lots)

    def usable(self, day: date) -> tuple[tuple[date | None, int], ...]:
        return tuple((expiry, units) for expiry, units in self.lots if not _expired(expiry, day))

    def expired(self, day: date) -> tuple[tuple[date | None, int], ...]:
        return tuple((expiry, units) for expiry, units in self.lots if _expired(expiry, day))


def _expired(expiry: date | None, day: date) -> bool:
    return expiry is not None and expiry < day


def _take(lots: tuple[tuple[date | None, int], ...], quantity: int) -> tuple[StockLot, ...]:
    taken: list[StockLot] = []
    for expiry, units in lots:
        if quantity == 0:
            break
        part = min(units, quantity)
        taken.append(StockLot(expires_on=expiry, quantity=part))
        quantity -= part
    assert quantity == 0, "callers check that the lots hold enough"
    return tuple(taken)


def decide(command: StockCommand, state: Stock) -> list[DomainEvent]:
    where: dict[str, Any] = {
        "actor": command.actor,
        "occurred_at": command.now,
        "stock_id": stock_id_of(command.site_id, command.item),
        "site_id": command.site_id,
        "item": command.item,
    }
    if isinstance(command, TransferIn):
        return [
            StockTransferredIn(
                **where,
                transfer_id=command.transfer_id,
                from_site_id=command.from_site_id,
                quantity=sum(lot.quantity for lot in command.lots),
                lots=command.lots,
            )
        ]
    if command.quantity < 1:
        raise DomainError("the quantity must be at least 1")
    if isinstance(command, ReceiveDonation):
        _check_donation(command)
        return [
            DonationReceived(
                **where,
                donation_id=command.donation_id,
                quantity=command.quantity,
                unit=UNITS[command.item],  # the same: _check_donation refused any other
                donor_kind=command.donor_kind,
                expires_on=command.expires_on,
            )
        ]
    today = local_day(command.now)
    if isinstance(command, WriteOff):
        # expired units go first whatever the reason; 'expired' may take nothing else
        only_expired = command.reason is WriteOffReason.EXPIRED
        lots = state.expired(today) if only_expired else state.lots
        _check_enough(command, sum(units for _, units in lots), "expired " if only_expired else "")
        return [
            StockWrittenOff(
                **where,
                write_off_id=command.write_off_id,
                reason=command.reason,
                quantity=command.quantity,
                lots=_take(lots, command.quantity),
            )
        ]
    return _draw(command, state, where, today)


def _draw(
    command: TransferOut | DrawStock, state: Stock, where: dict[str, Any], today: date
) -> list[DomainEvent]:
    """What leaves the site for use (a transfer out, an issue) takes unexpired units only;
    an issue to someone not vulnerable leaves the last units for those who are."""
    usable = state.usable(today)
    available = sum(units for _, units in usable)
    _check_enough(command, available, "usable ")
    taken = _take(usable, command.quantity)
    if isinstance(command, TransferOut):
        if command.to_site_id == command.site_id:
            raise DomainError("a transfer needs two different sites")
        return [
            StockTransferredOut(
                **where,
                transfer_id=command.transfer_id,
                to_site_id=command.to_site_id,
                quantity=command.quantity,
                lots=taken,
            )
        ]
    if not command.recipient_vulnerable and available - command.quantity < command.reserve:
        raise Refused(
            Rule.VULNERABLE_FIRST,
            f"{command.site_id} has {available} {command.item.value} left; the last "
            f"{command.reserve} are kept for vulnerable people",
        )
    return [StockIssued(**where, issue_id=command.issue_id, quantity=command.quantity, lots=taken)]


def _check_donation(command: ReceiveDonation) -> None:
    unit = UNITS[command.item]
    if command.unit != unit:
        raise DomainError(
            f"{command.item.value} is counted in '{unit}', not '{command.unit}'; "
            f"convert the quantity to {unit}s"
        )
    if command.item in PERISHABLE and command.expires_on is None:
        raise DomainError(f"{command.item.value} is food: give its expiry date (expires_on)")
    if command.expires_on is not None and command.expires_on < local_day(command.now):
        raise DomainError(f"it expired on {command.expires_on}; it cannot be handed out")


def _check_enough(command: TransferOut | WriteOff | DrawStock, available: int, what: str) -> None:
    if command.quantity > available:
        raise Refused(
            Rule.OUT_OF_STOCK,
            f"{command.site_id} has {available} {what}{command.item.value}, "
            f"{command.quantity} asked",
        )


def _add(lots: tuple[tuple[date | None, int], ...], added: tuple[StockLot, ...]) -> Stock:
    units: dict[date | None, int] = dict(lots)
    for lot in added:
        units[lot.expires_on] = units.get(lot.expires_on, 0) + lot.quantity
    return Stock(tuple(sorted(units.items(), key=_expiry_order)))


def _remove(lots: tuple[tuple[date | None, int], ...], removed: tuple[StockLot, ...]) -> Stock:
    units: dict[date | None, int] = dict(lots)
    for lot in removed:
        units[lot.expires_on] = units.get(lot.expires_on, 0) - lot.quantity
    return Stock(tuple(sorted(((e, u) for e, u in units.items() if u), key=_expiry_order)))


def _expiry_order(lot: tuple[date | None, int]) -> tuple[bool, date]:
    return (lot[0] is None, lot[0] or date.max)


def evolve(state: Stock, event: DomainEvent) -> Stock:
    if isinstance(event, DonationReceived):
        lot = StockLot(expires_on=event.expires_on, quantity=event.quantity)
        return _add(state.lots, (lot,))
    if isinstance(event, StockTransferredIn):
        return _add(state.lots, event.lots)
    if isinstance(event, StockTransferredOut | StockWrittenOff | StockIssued):
        return _remove(state.lots, event.lots)
    return state


stock: Decider[StockCommand, Stock] = Decider(Stock(), decide, evolve)
