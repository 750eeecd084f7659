"""Aid's use cases at the sites: donations, transfers, write-offs, item rules, and issues.

An issue is two decisions in the caller's transaction: the recipient's stream (the person, or
the household for per-household items) passes the rules and records the issue; the site's stock
stream gives the units. Either both append or, on a refusal, neither; a concurrent writer on
the recipient's stream makes the whole transaction start again (shared.decider.in_transaction).

Many counters issue from one stock at once, so its writers queue instead of racing: each takes
the stock's transaction lock (``in_stock_queue``; an issue before its recipient's append) and
holds it to its commit, so it decides on the latest stock and never loses the append's race.
Issues at one site already queued, but by accident: the first of them to upsert the read
models' row of the day's totals (site, item, day) held it to its commit (the distributions
benchmark counts no rolled-back event at 10 counters, with or without this lock); a donation
or a transfer took that row after its stock append, and an issue before, so the two could wait
for each other until Postgres broke the deadlock (after a second) and one started again. Now
every writer of a stock takes its lock before any of those rows. Per-counter allotments of the
stock would let counters run side by side, but the vulnerable-first reserve and first expiring
first out are rules of the whole stock, which an allotment cannot see; a group commit of
concurrent issues would need several requests in one transaction, each with its own
Idempotency-Key and refusal. The append's version check stays, for a writer that skips the
queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

import asyncpg

from services.aid.app.streams import load
from services.aid.domain.beneficiary import beneficiary
from services.aid.domain.distribution import recipient_decision, stock_decision
from services.aid.domain.household import household
from services.aid.domain.rules import ItemRules, SetItemRules, item_rules, rules_in_force
from services.aid.domain.stock import (
    ReceiveDonation,
    StockCommand,
    TransferIn,
    TransferOut,
    WriteOff,
    stock,
)
from shared.decider import execute, load_state, lock_streams
from shared.decision import Decider
from shared.eventstore import Causation, EventStore, RecordedEvent
from shared.schemas.aid import (
    AidItem,
    DonorKind,
    IssuedPer,
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


async def rules_of(conn: asyncpg.Connection, store: EventStore, item: AidItem) -> ItemRules:
    return rules_in_force(item, await load(conn, store, item_rules, item.value))


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


async def issue_aid(
    conn: asyncpg.Connection,
    store: EventStore,
    *,
    person_id: UUID,
    item: AidItem,
    quantity: int,
    site_id: str,
    now: datetime,
    actor: str = OPERATOR,
) -> Issued:
    """Issue an item to the person at the counter (for their household when the item counts per
    household). Raises Refused naming the rule, or ConcurrencyConflict to start again.
    ``actor``: the operator, or the site whose key issued it."""
    rules = await rules_of(conn, store, item)
    person, version = await load_state(conn, store, beneficiary, str(person_id))
    issue_id, causation = uuid4(), Causation.new()
    stream, command = recipient_decision(
        rules, person, person_id, issue_id, quantity, site_id, actor, now
    )
    per_person = rules.per is IssuedPer.PERSON
    decider: Decider[Any, Any] = beneficiary if per_person else household
    # in the stock's queue before the recipient's append, whose read models' row of the day's
    # totals for this site and item every writer of the stock takes too: one order, no deadlock;
    # the person's stream, read above, is not read again in the queue (its append checks it)
    await lock_streams(conn, stock_id := stock_id_of(site_id, item))
    loaded = (person, version) if per_person else None
    await execute(conn, store, decider, stream, command, causation, loaded=loaded)
    draw = stock_decision(rules, person, issue_id, quantity, site_id, actor, now)
    await execute(conn, store, stock, stock_id, draw, causation)
    household_id = person.household_id if rules.per is IssuedPer.HOUSEHOLD else None
    return Issued(issue_id, person_id, household_id, item, quantity, site_id, now)
