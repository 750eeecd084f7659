"""Reading aid's read models for the API: entitlements and what comes next, stock with its
low-stock flag, and daily totals (support requests, offers and matches: support_queries.py)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg

from services.aid.domain.beneficiary import NO_CONSENT
from services.aid.domain.residency import residency_from
from services.aid.domain.rules import DEFAULT_RULES, UNITS, Issue, ItemRules, Recipient, outlook
from shared.schemas.aid import AidItem, IssuedPer


async def rules_by_item(conn: asyncpg.Connection) -> dict[AidItem, ItemRules]:
    """The rules in force: the defaults, overridden where the centre set others."""
    rules = dict(DEFAULT_RULES)
    for row in await conn.fetch("SELECT * FROM item_rules"):
        item = AidItem(row["item"])
        rules[item] = ItemRules(
            item=item,
            per=IssuedPer(row["per"]),
            max_per_day=row["max_per_day"],
            min_interval=timedelta(hours=row["min_interval_hours"]),
            residents_only=row["residents_only"],
            vulnerable_first=row["vulnerable_first"],
            total_cap=row["total_cap"],
            low_stock_level=row["low_stock_level"],
        )
    return rules


def rules_json(rules: ItemRules) -> dict[str, Any]:
    return {
        "item": rules.item.value,
        "unit": rules.unit,
        "per": rules.per.value,
        "max_per_day": rules.max_per_day,
        "min_interval_hours": int(rules.min_interval.total_seconds() // 3600),
        "residents_only": rules.residents_only,
        "vulnerable_first": rules.vulnerable_first,
        "total_cap": rules.total_cap,
        "low_stock_level": rules.low_stock_level,
        "perishable": rules.perishable,
    }


def recipient_of(person: asyncpg.Record) -> Recipient:
    """The person as the rules see them: a resident once checked in, as the domain decides."""
    status = person["status"]
    return Recipient(
        known=person["registered_at"] is not None or person["shelter_id"] is not None,
        closed=status if status in ("departed", "merged") else None,
        resident=residency_from(status, person["shelter_id"]) == "checked_in",
        household_id=person["arrival_id"],
        vulnerable=person["vulnerable"],
        agreed=status != NO_CONSENT,
    )


async def entitlements(
    conn: asyncpg.Connection, person_id: UUID, now: datetime
) -> dict[str, Any] | None:
    """Who the person is to aid, what they got and when, and what they may get next."""
    person = await conn.fetchrow("SELECT * FROM beneficiaries WHERE person_id = $1", person_id)
    if person is None:
        return None
    granted = await conn.fetch(
        "SELECT item, per_day FROM entitlements WHERE person_id = $1 AND closed_at IS NULL "
        "ORDER BY item",
        person_id,
    )
    household = person["arrival_id"]
    issues = await conn.fetch(
        """
        SELECT * FROM issues WHERE person_id = $1 OR (household_id = $2 AND $2 IS NOT NULL)
        ORDER BY issued_at, issue_id
        """,
        person_id,
        household,
    )
    upcoming = await _what_comes_next(conn, recipient_of(person), issues, person_id, household, now)
    return {
        "person_id": str(person_id),
        "arrival_id": str(household) if household else None,
        "age_band": person["age_band"],
        "vulnerable": person["vulnerable"],
        "residency": (residency := residency_from(person["status"], person["shelter_id"])),
        "resident": residency == "checked_in",
        "status": person["status"],
        "shelter_id": str(person["shelter_id"]) if person["shelter_id"] else None,
        "entitlements": [{"item": row["item"], "per_day": row["per_day"]} for row in granted],
        "received": [_received(row) for row in issues],
        "next": upcoming,
    }


def _received(row: asyncpg.Record) -> dict[str, Any]:
    """One issue the person (or their household) received."""
    return {
        "issue_id": str(row["issue_id"]),
        "item": row["item"],
        "quantity": row["quantity"],
        "site_id": row["site_id"],
        "issued_at": row["issued_at"].isoformat(),
        "for_household": row["household_id"] is not None,
        "collected_by": str(row["person_id"]),
    }


async def _what_comes_next(
    conn: asyncpg.Connection,
    recipient: Recipient,
    issues: list[asyncpg.Record],
    person_id: UUID,
    household: UUID | None,
    now: datetime,
) -> list[dict[str, Any]]:
    """Per item, whether the person may get it now and, if not, which rule says so and when."""
    upcoming = []
    for item, rules in (await rules_by_item(conn)).items():
        counted = [
            Issue(row["issued_at"], row["quantity"])
            for row in issues
            if row["item"] == item.value
            and (
                row["household_id"] == household
                if rules.per is IssuedPer.HOUSEHOLD
                else row["household_id"] is None and row["person_id"] == person_id
            )
        ]
        seen = outlook(rules, recipient, counted, now)
        upcoming.append(
            {
                "item": item.value,
                "per": rules.per.value,
                "eligible_now": seen.eligible_now,
                "rule": seen.rule.value if seen.rule else None,
                "next_eligible_at": seen.next_eligible_at.isoformat()
                if seen.next_eligible_at
                else None,
            }
        )
    return upcoming


async def stock_levels(
    conn: asyncpg.Connection, site_id: str | None, item: AidItem | None, low_only: bool
) -> list[dict[str, Any]]:
    rules = await rules_by_item(conn)
    rows = await conn.fetch(
        """
        SELECT site_id, item, quantity, lots::text AS lots, earliest_expiry, updated_at
        FROM stock WHERE ($1::text IS NULL OR site_id = $1) AND ($2::text IS NULL OR item = $2)
        ORDER BY site_id, item
        """,
        site_id,
        item.value if item else None,
    )
    levels = []
    for row in rows:
        level = rules[AidItem(row["item"])].low_stock_level
        low = row["quantity"] <= level
        if low_only and not low:
            continue
        levels.append(
            {
                "site_id": row["site_id"],
                "item": row["item"],
                "unit": UNITS[AidItem(row["item"])],
                "quantity": row["quantity"],
                "low_stock_level": level,
                "low": low,
                "earliest_expiry": _iso(row["earliest_expiry"]),
                "lots": [
                    {"expires_on": expiry, "quantity": units}
                    for expiry, units in json.loads(row["lots"])
                ],
                "updated_at": row["updated_at"].isoformat(),
            }
        )
    return levels


async def stock_movements(
    conn: asyncpg.Connection, site_id: str, item: AidItem, limit: int
) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """
        SELECT * FROM stock_movements WHERE site_id = $1 AND item = $2
        ORDER BY occurred_at DESC, version DESC LIMIT $3
        """,
        site_id,
        item.value,
        limit,
    )
    return [
        {
            "kind": row["kind"],
            "quantity": row["quantity"],
            "reference_id": str(row["reference_id"]),
            "other_site_id": row["other_site_id"],
            "donor_kind": row["donor_kind"],
            "reason": row["reason"],
            "expires_on": _iso(row["expires_on"]),
            "occurred_at": row["occurred_at"].isoformat(),
        }
        for row in rows
    ]


async def daily_totals(
    conn: asyncpg.Connection, day: date, site_id: str | None
) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        """
        SELECT * FROM daily_totals WHERE day = $1 AND ($2::text IS NULL OR site_id = $2)
        ORDER BY site_id, item
        """,
        day,
        site_id,
    )
    return rows


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
