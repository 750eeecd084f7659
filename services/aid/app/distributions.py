"""Aid's use cases at the sites: donations, transfers, write-offs, item rules, and issues.

An issue is two decisions in the caller's transaction: the recipient's stream (the person, or
the household for per-household items) passes the rules and records the issue; the site's stock
stream gives the units. Either both append or, on a refusal, neither; a concurrent writer on
the recipient's stream makes the whole transaction start again (shared.decider.in_transaction).

Many counters issue from one stock at once, so its writers queue instead of racing: each takes
the stock's transaction lock (``in_stock_queue``; issues in services/aid/app/issue_groups.py)
before any row of the stock or of the day's totals, and holds it to its commit, so it decides
on the latest stock and never loses the append's race; one order, so a donation and an issue
never wait for each other's rows (they did, until Postgres broke the deadlock). Per-counter
allotments of the stock would let counters run side by side, but the vulnerable-first reserve
and first expiring first out are rules of the whole stock, which an allotment cannot see:
instead, the issues waiting at a stock are decided as one group in one transaction, each with
its own Idempotency-Key and answer (services/aid/app/issue_queue.py). The append's version
check stays, for a writer that skips the queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

import asyncpg

from services.aid.domain.rules import ItemRules, SetItemRules, item_rules
from services.aid.domain.stock import (
    ReceiveDonation,
    StockCommand,
    TransferIn,
    TransferOut,
    WriteOff,
    stock,
)
from shared.decider import execute, lock_streams
from shared.eventstore import Causation, EventStore, RecordedEvent
from shared.schemas.aid import (
    AidItem,
    DonorKind,
    StockTransferredOut,
    WriteOffReason,
    stock_id_of,
)

OPERATOR = "operator"


async def in_stock_queue(
    conn: asyncpg.Connection,
    store: EventStore,
    stock_id: str,
    command: StockCommand,
    causation: Causation,
) -> list[RecordedEvent]:
    """Decide ``command`` on the latest stock, after the writers ahead of this one committed."""
    await lock_streams(conn, stock_id)
    return await execute(conn, store, stock, stock_id, command, causation)


async def set_rules(
    conn: asyncpg.Connection, store: EventStore, rules: ItemRules, now: datetime
) -> bool:
    """Set an item's rules; False when they were in force already."""
    command = SetItemRules(rules, OPERATOR, now)
    return bool(await execute(conn, store, item_rules, rules.item.value, command, Causation.new()))


async def receive_donation(
    conn: asyncpg.Connection,
    store: EventStore,
    *,
    site_id: str,
    item: AidItem,
    quantity: int,
    unit: str,
    donor_kind: DonorKind,
    expires_on: date | None,
    now: datetime,
) -> UUID:
    donation_id = uuid4()
    command = ReceiveDonation(
        site_id, item, donation_id, quantity, unit, donor_kind, expires_on, OPERATOR, now
    )
    await in_stock_queue(conn, store, stock_id_of(site_id, item), command, Causation.new())
    return donation_id


async def transfer(
    conn: asyncpg.Connection,
    store: EventStore,
    *,
    item: AidItem,
    quantity: int,
    from_site_id: str,
    to_site_id: str,
    now: datetime,
) -> UUID:
    """Move units between two sites: out of one stock and into the other, together."""
    transfer_id, causation = uuid4(), Causation.new()
    origin, destination = stock_id_of(from_site_id, item), stock_id_of(to_site_id, item)
    await lock_streams(conn, origin, destination)
    out = TransferOut(from_site_id, item, transfer_id, to_site_id, quantity, OPERATOR, now)
    [sent] = await execute(conn, store, stock, origin, out, causation)
    assert isinstance(sent.event, StockTransferredOut)
    arrive = TransferIn(to_site_id, item, transfer_id, from_site_id, sent.event.lots, OPERATOR, now)
    await execute(conn, store, stock, destination, arrive, causation)
    return transfer_id


async def write_off(
    conn: asyncpg.Connection,
    store: EventStore,
    *,
    site_id: str,
    item: AidItem,
    quantity: int,
    reason: WriteOffReason,
    now: datetime,
) -> UUID:
    write_off_id = uuid4()
    command = WriteOff(site_id, item, write_off_id, quantity, reason, OPERATOR, now)
    await in_stock_queue(conn, store, stock_id_of(site_id, item), command, Causation.new())
    return write_off_id


@dataclass(frozen=True)
class Issued:
    issue_id: UUID
    person_id: UUID
    household_id: UUID | None
    item: AidItem
    quantity: int
    site_id: str
    issued_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "outcome": "issued",
            "issue_id": str(self.issue_id),
            "person_id": str(self.person_id),
            "household_id": str(self.household_id) if self.household_id else None,
            "item": self.item.value,
            "quantity": self.quantity,
            "site_id": self.site_id,
            "issued_at": self.issued_at.isoformat(),
        }
