"""Aid's read models, projected inline from its events (published and internal):

- beneficiaries and entitlements: who aid knows, where they live, what they are entitled to;
- item_rules: the rules the centre set (the defaults live in the domain);
- stock (with its lots) and stock_movements: what each site holds, and every change of it;
- issues and daily_totals: what each person got and when, and per day, site and item;
- support_requests, support_offers, support_matches: the way forward.

Every value comes from an event, never from the clock, so a rebuild gives the same rows.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date
from typing import Any

import asyncpg

from services.aid.domain.beneficiary import NO_CONSENT, RESIDENT_ENTITLEMENTS
from services.aid.domain.residency import residency_of
from services.aid.domain.rules import local_day
from services.aid.events import OfferDetailsRecorded
from services.aid.offers_projection import project_offer
from services.aid.request_details import FILL_READ_MODEL
from shared.eventstore import RecordedEvent
from shared.schemas.aid import (
    AidIssued,
    BeneficiaryFactsUpdated,
    BeneficiaryForgotten,
    BeneficiaryRegistered,
    DonationReceived,
    EntitlementGranted,
    EntitlementsClosed,
    HouseholdAidIssued,
    ItemRulesSet,
    MatchAccepted,
    MatchCompleted,
    MatchProposed,
    MatchWithdrawn,
    OfferPlaceReleased,
    OfferPlaceTaken,
    OfferPublished,
    OfferWithdrawn,
    ResidencyEnded,
    ResidentRecorded,
    StockIssued,
    StockLot,
    StockTransferredIn,
    StockTransferredOut,
    StockWrittenOff,
    SupportRequested,
    SupportRequestWithdrawn,
)
from shared.schemas.base import DomainEvent

READ_MODEL_TABLES = (
    "entitlements", "beneficiaries", "item_rules", "stock", "stock_movements", "issues",
    "daily_totals", "support_matches", "support_requests", "support_offers",
)  # fmt: skip

BeneficiaryEvent = (
    BeneficiaryRegistered | BeneficiaryFactsUpdated | ResidentRecorded | EntitlementGranted
    | ResidencyEnded | EntitlementsClosed | BeneficiaryForgotten
)  # fmt: skip
StockEvent = (
    DonationReceived | StockTransferredIn | StockTransferredOut | StockWrittenOff | StockIssued
)
#: the entitlements that last while a person lives in a shelter
RESIDENT_ITEMS = tuple(item.value for item, _ in RESIDENT_ENTITLEMENTS)


async def project(conn: asyncpg.Connection, recorded: RecordedEvent) -> None:
    event = recorded.event
    if isinstance(event, BeneficiaryEvent):
        await _beneficiary(conn, event)
    elif isinstance(event, ItemRulesSet):
        await _item_rules(conn, event)
    elif isinstance(event, StockEvent):
        await _stock(conn, recorded, event)
    elif isinstance(event, AidIssued | HouseholdAidIssued):
        await _issue(conn, event)
    else:
        await _support(conn, event)


# --- beneficiaries and entitlements --------------------------------------------------------


async def _beneficiary(conn: asyncpg.Connection, event: DomainEvent) -> None:
    if isinstance(event, BeneficiaryForgotten):
        # the row shrinks to what refuses them (no_consent); entitlements go. Issues stay in
        # their table: stock and daily totals are counted from them
        await conn.execute("DELETE FROM entitlements WHERE person_id = $1", event.person_id)
        await conn.execute("DELETE FROM beneficiaries WHERE person_id = $1", event.person_id)
        await conn.execute(
            "INSERT INTO beneficiaries (person_id, status) VALUES ($1, $2)",
            event.person_id, NO_CONSENT,
        )  # fmt: skip
    elif isinstance(event, BeneficiaryRegistered):
        await conn.execute(
            """
            INSERT INTO beneficiaries (person_id, arrival_id, age_band, vulnerable, registered_at)
            VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (person_id) DO UPDATE
            SET arrival_id = EXCLUDED.arrival_id, age_band = EXCLUDED.age_band,
                vulnerable = EXCLUDED.vulnerable, registered_at = EXCLUDED.registered_at,
                status = CASE WHEN beneficiaries.status IN ('merged', 'no_consent')
                              THEN 'registered' ELSE beneficiaries.status END
            """,
            event.person_id, event.household_id, event.age_band.value, event.vulnerable,
            event.occurred_at,
        )  # fmt: skip
    elif isinstance(event, BeneficiaryFactsUpdated):
        await conn.execute(
            """
            INSERT INTO beneficiaries (person_id, age_band, vulnerable) VALUES ($1, $2, $3)
            ON CONFLICT (person_id) DO UPDATE
            SET age_band = EXCLUDED.age_band, vulnerable = EXCLUDED.vulnerable
            """,
            event.person_id, event.age_band.value, event.vulnerable,
        )  # fmt: skip
    elif isinstance(event, ResidentRecorded):
        await conn.execute(
            """
            INSERT INTO beneficiaries (person_id, shelter_id, resident_since, status)
            VALUES ($1, $2, $3, $4)
            ON CONFLICT (person_id) DO UPDATE
            SET shelter_id = EXCLUDED.shelter_id, resident_since = EXCLUDED.resident_since,
                status = EXCLUDED.status
            """,
            event.person_id, event.shelter_id, event.occurred_at, residency_of(event),
        )  # fmt: skip
    elif isinstance(event, EntitlementGranted):
        await conn.execute(
            """
            INSERT INTO entitlements (person_id, item, per_day, granted_at)
            VALUES ($1, $2, $3, $4) ON CONFLICT (person_id, item)
            DO UPDATE SET per_day = EXCLUDED.per_day, granted_at = EXCLUDED.granted_at,
                          closed_at = NULL, closed_reason = NULL
            """,
            event.person_id, event.item.value, event.per_day, event.occurred_at,
        )  # fmt: skip
    elif isinstance(event, ResidencyEnded):
        await conn.execute(
            "UPDATE beneficiaries SET shelter_id = NULL, resident_since = NULL, "
            "status = 'checked_out' WHERE person_id = $1",
            event.person_id,
        )
        await conn.execute(
            "UPDATE entitlements SET closed_at = $2, closed_reason = 'checked_out' "
            "WHERE person_id = $1 AND item = ANY($3) AND closed_at IS NULL",
            event.person_id, event.occurred_at, list(RESIDENT_ITEMS),
        )  # fmt: skip
    elif isinstance(event, EntitlementsClosed):
        await conn.execute(
            "UPDATE entitlements SET closed_at = $2, closed_reason = $3 "
            "WHERE person_id = $1 AND closed_at IS NULL",
            event.person_id, event.occurred_at, event.reason,
        )  # fmt: skip
        # a departure may overtake the arrival: the row then starts closed
        await conn.execute(
            """
            INSERT INTO beneficiaries (person_id, status) VALUES ($1, $2)
            ON CONFLICT (person_id) DO UPDATE
            SET shelter_id = NULL, resident_since = NULL, status = EXCLUDED.status
            """,
            event.person_id, event.reason,
        )  # fmt: skip


# --- item rules and stock ------------------------------------------------------------------


async def _item_rules(conn: asyncpg.Connection, event: ItemRulesSet) -> None:
    await conn.execute(
        """
        INSERT INTO item_rules (item, per, max_per_day, min_interval_hours, residents_only,
                                vulnerable_first, total_cap, low_stock_level, set_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
        ON CONFLICT (item) DO UPDATE
        SET per = EXCLUDED.per, max_per_day = EXCLUDED.max_per_day,
            min_interval_hours = EXCLUDED.min_interval_hours,
            residents_only = EXCLUDED.residents_only, vulnerable_first = EXCLUDED.vulnerable_first,
            total_cap = EXCLUDED.total_cap, low_stock_level = EXCLUDED.low_stock_level,
            set_at = EXCLUDED.set_at
        """,
        *rule_of(event),
    )


def rule_of(event: ItemRulesSet) -> tuple[Any, ...]:
    """An item's rules as set, in the order of item_rules' columns."""
    return (
        event.item.value, event.per.value, event.max_per_day, event.min_interval_hours,
        event.residents_only, event.vulnerable_first, event.total_cap, event.low_stock_level,
        event.occurred_at,
    )  # fmt: skip


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


async def _stock(conn: asyncpg.Connection, recorded: RecordedEvent, event: StockEvent) -> None:
    current = await conn.fetchval(
        "SELECT lots::text FROM stock WHERE site_id = $1 AND item = $2",
        event.site_id, event.item.value,
    )  # fmt: skip
    lots = lots_after(
        (
            (date.fromisoformat(expiry) if expiry else None, quantity)
            for expiry, quantity in json.loads(current or "[]")
        ),
        event,
    )
    await conn.execute(
        """
        INSERT INTO stock (site_id, item, quantity, lots, earliest_expiry, updated_at)
        VALUES ($1, $2, $3, $4::jsonb, $5, $6)
        ON CONFLICT (site_id, item) DO UPDATE
        SET quantity = EXCLUDED.quantity, lots = EXCLUDED.lots,
            earliest_expiry = EXCLUDED.earliest_expiry, updated_at = EXCLUDED.updated_at
        """,
        *stock_of(event, lots),
    )
    await conn.execute(
        """
        INSERT INTO stock_movements (stream_id, version, site_id, item, kind, quantity,
                                     reference_id, other_site_id, donor_kind, reason, expires_on,
                                     occurred_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
        """,
        *movement_of(recorded, event),
    )
    column = DAILY_COLUMN.get(type(event))
    if column is not None:
        await _add_to_day(conn, local_day(event.occurred_at), event, column)


Lots = list[tuple[date | None, int]]


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
    return sorted(
        ((expiry, quantity) for expiry, quantity in units.items() if quantity),
        key=lambda lot: (lot[0] is None, lot[0] or date.max),
    )


def stock_of(event: StockEvent, lots: Lots) -> tuple[Any, ...]:
    """A stock row: what a site holds of an item, in lots, after ``event``."""
    return (
        event.site_id, event.item.value, sum(quantity for _, quantity in lots),
        json.dumps([[expiry.isoformat() if expiry else None, units] for expiry, units in lots]),
        lots[0][0] if lots else None, event.occurred_at,
    )  # fmt: skip


def movement_of(recorded: RecordedEvent, event: StockEvent) -> tuple[Any, ...]:
    """A stock_movements row: a change of one site's stock of one item, signed."""
    kind, sign = _MOVEMENT[type(event)]
    reference, other_site, donor, reason, expires = _movement_details(event)
    return (
        recorded.stream_id, recorded.version, event.site_id, event.item.value, kind,
        sign * event.quantity, reference, other_site, donor, reason, expires, event.occurred_at,
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


async def _add_to_day(conn: asyncpg.Connection, day: date, event: StockEvent, column: str) -> None:
    await conn.execute(
        f"""
        INSERT INTO daily_totals (day, site_id, item, {column}) VALUES ($1, $2, $3, $4)
        ON CONFLICT (day, site_id, item) DO UPDATE
        SET {column} = daily_totals.{column} + EXCLUDED.{column}
        """,
        day, event.site_id, event.item.value, event.quantity,
    )  # fmt: skip


# --- distributions -------------------------------------------------------------------------


async def _issue(conn: asyncpg.Connection, event: AidIssued | HouseholdAidIssued) -> None:
    day = local_day(event.occurred_at)
    first_today = not await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM issues WHERE day = $1 AND site_id = $2 AND item = $3 "
        "AND person_id = $4)",
        day, event.site_id, event.item.value, event.person_id,
    )  # fmt: skip
    await conn.execute(
        """
        INSERT INTO issues (issue_id, person_id, household_id, item, quantity, site_id,
                            issued_at, day)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        """,
        *issue_of(event),
    )
    await conn.execute(
        """
        INSERT INTO daily_totals (day, site_id, item, issued, distributions, people)
        VALUES ($1, $2, $3, $4, 1, $5)
        ON CONFLICT (day, site_id, item) DO UPDATE
        SET issued = daily_totals.issued + EXCLUDED.issued,
            distributions = daily_totals.distributions + 1,
            people = daily_totals.people + EXCLUDED.people
        """,
        day, event.site_id, event.item.value, event.quantity, int(first_today),
    )  # fmt: skip


ISSUE_COLUMNS = (
    "issue_id", "person_id", "household_id", "item", "quantity", "site_id", "issued_at", "day",
)  # fmt: skip


def issue_of(event: AidIssued | HouseholdAidIssued) -> tuple[Any, ...]:
    """An issues row: what one person collected, where and on which local day."""
    household = event.household_id if isinstance(event, HouseholdAidIssued) else None
    return (
        event.issue_id, event.person_id, household, event.item.value, event.quantity,
        event.site_id, event.occurred_at, local_day(event.occurred_at),
    )  # fmt: skip


# --- support -------------------------------------------------------------------------------


async def _support(conn: asyncpg.Connection, event: DomainEvent) -> None:
    if isinstance(event, SupportRequested | SupportRequestWithdrawn):
        await _request(conn, event)
    elif isinstance(event, MatchProposed | MatchAccepted | MatchCompleted | MatchWithdrawn):
        await _match(conn, event)
    elif isinstance(
        event, OfferPublished | OfferDetailsRecorded | OfferWithdrawn | OfferPlaceTaken
        | OfferPlaceReleased,
    ):  # fmt: skip
        await project_offer(conn, event)


async def _request(
    conn: asyncpg.Connection,
    event: SupportRequested | SupportRequestWithdrawn,
) -> None:
    if isinstance(event, SupportRequested):
        await conn.execute(
            """
            INSERT INTO support_requests (request_id, person_id, kind, status,
                                          destination_country, requested_at)
            VALUES ($1, $2, $3, 'open', $4, $5)
            """,
            event.request_id, event.person_id, event.kind.value, event.destination_country,
            event.occurred_at,
        )  # fmt: skip
        # the details were kept just before, outside the events (services/aid/request_details)
        await conn.execute(FILL_READ_MODEL, event.request_id)
    else:
        await conn.execute(
            "UPDATE support_requests SET status = 'withdrawn', closed_at = $2, "
            "withdrawn_reason = $3 WHERE request_id = $1",
            event.request_id, event.occurred_at, event.reason,
        )  # fmt: skip


async def _match(conn: asyncpg.Connection, event: MatchProposed | MatchOutcome) -> None:
    if isinstance(event, MatchProposed):
        await conn.execute(
            """
            INSERT INTO support_matches (match_id, request_id, offer_id, basis, status,
                                         proposed_at, updated_at)
            VALUES ($1, $2, $3, $4, 'proposed', $5, $5)
            """,
            event.match_id, event.request_id, event.offer_id, event.basis.value,
            event.occurred_at,
        )  # fmt: skip
        return
    reason = event.reason if isinstance(event, MatchWithdrawn) else None
    before = await conn.fetchval(
        """
        UPDATE support_matches m SET status = $2, updated_at = $3, withdrawn_reason = $4
        FROM support_matches earlier WHERE m.match_id = earlier.match_id AND m.match_id = $1
        RETURNING earlier.status
        """,
        event.match_id, MATCH_STATUS_AFTER[type(event)], event.occurred_at, reason,
    )  # fmt: skip
    request_status = request_status_after(event, before)
    if request_status is not None:
        await conn.execute(
            "UPDATE support_requests SET status = $2, closed_at = $3 "
            "WHERE request_id = $1 AND status IN ('open', 'matched')",
            event.request_id, request_status,
            event.occurred_at if request_status == "done" else None,
        )  # fmt: skip


MatchOutcome = MatchAccepted | MatchCompleted | MatchWithdrawn
MATCH_STATUS_AFTER: dict[type[DomainEvent], str] = {
    MatchAccepted: "accepted", MatchCompleted: "done", MatchWithdrawn: "withdrawn",
}  # fmt: skip


def request_status_after(event: MatchOutcome, match_before: str | None) -> str | None:
    """The status a match's outcome gives its request (an open or matched one), if any."""
    status = {MatchAccepted: "matched", MatchCompleted: "done"}.get(type(event))
    if status is None and match_before == "accepted":
        return "open"  # the accepted match fell through: the request waits again
    return status
