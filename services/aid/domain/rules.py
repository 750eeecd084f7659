"""The entitlement rules of the aid items, and the one place that says whether a person or a
household may receive an item now, and if not, which rule refuses and when they may next.

Days are local days in Oral (UTC+5 all year): a once-a-day parcel may be had again after local
midnight, not after UTC midnight.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from enum import StrEnum
from uuid import UUID

# the rules as data and as a stream live in item_rules; their names stay importable from here
from services.aid.domain.item_rules import (
    DEFAULT_RULES,
    PERISHABLE,
    UNITS,
    ItemRules,
    ItemRulesState,
    SetItemRules,
    decide_item_rules,
    evolve_item_rules,
    item_rules,
    rules_from,
    rules_in_force,
)
from shared.decision import DomainError
from shared.schemas.aid import AidItem, IssuedPer

__all__ = [
    "DEFAULT_RULES",
    "LOCAL_TIME",
    "PERISHABLE",
    "UNITS",
    "Issue",
    "ItemRules",
    "ItemRulesState",
    "Outlook",
    "Recipient",
    "Refused",
    "Rule",
    "SetItemRules",
    "check_limits",
    "check_recipient",
    "decide_item_rules",
    "evolve_item_rules",
    "item_rules",
    "local_day",
    "next_eligible",
    "outlook",
    "rules_from",
    "rules_in_force",
    "start_of_local_day",
]

#: Oral keeps UTC+5 all year (no daylight saving since 1992)
LOCAL_TIME = timezone(timedelta(hours=5), "Asia/Oral")


def local_day(moment: datetime) -> date:
    return moment.astimezone(LOCAL_TIME).date()


def start_of_local_day(day: date) -> datetime:
    return datetime.combine(day, time(), LOCAL_TIME).astimezone(UTC)


class Rule(StrEnum):
    """What can refuse a distribution, in the order the rules are checked."""

    NO_CONSENT = "no_consent"
    NOT_REGISTERED = "not_registered"
    ENTITLEMENTS_CLOSED = "entitlements_closed"
    RESIDENTS_ONLY = "residents_only"
    HOUSEHOLD_UNKNOWN = "household_unknown"
    TOTAL_CAP = "total_cap"
    MIN_INTERVAL = "min_interval"
    MAX_PER_DAY = "max_per_day"
    OUT_OF_STOCK = "out_of_stock"
    VULNERABLE_FIRST = "vulnerable_first"


class Refused(DomainError):
    """A distribution (or a stock movement) refused by a named rule; ``next_eligible_at`` says
    when the same request would pass that rule, or None when time alone will not help."""

    def __init__(self, rule: Rule, detail: str, next_eligible_at: datetime | None = None) -> None:
        super().__init__(detail)
        self.rule = rule
        self.next_eligible_at = next_eligible_at

    @property
    def final(self) -> bool:
        # aid learns of a person, and of their consent, from intake's topic any second: such a
        # refusal is not a decision, and a retry with the same key decides again
        return self.rule not in (Rule.NOT_REGISTERED, Rule.NO_CONSENT)


@dataclass(frozen=True)
class Issue:
    """One earlier distribution, as the limits count it."""

    at: datetime
    quantity: int


@dataclass(frozen=True)
class Recipient:
    """What the rules need to know of the person at the counter."""

    known: bool
    closed: str | None
    resident: bool
    household_id: UUID | None
    vulnerable: bool
    #: False once aid learned the person has not agreed to aid (or withdrew the agreement)
    agreed: bool = True


def check_recipient(rules: ItemRules, recipient: Recipient) -> None:
    """The rules about who the person is; raises Refused."""
    if not recipient.agreed:
        raise Refused(
            Rule.NO_CONSENT,
            "the person has not agreed to aid (or withdrew the agreement), so nothing is issued "
            "to them; when they agree, the partner who registered them records it (POST "
            '/v1/persons/{id}/consents on intake with {"purpose": "aid", "given": true})',
        )
    if recipient.closed is not None:
        raise Refused(
            Rule.ENTITLEMENTS_CLOSED,
            f"the person's entitlements are closed ({recipient.closed}); nothing more is issued",
        )
    if not recipient.known:
        raise Refused(
            Rule.NOT_REGISTERED,
            "aid does not know this person yet; an arrival registered a moment ago reaches aid "
            "within seconds: send the same request again then",
        )
    if rules.residents_only and not recipient.resident:
        raise Refused(
            Rule.RESIDENTS_ONLY,
            f"{rules.item.value} is for residents only, and the person is not checked in at a "
            "shelter",
        )
    if rules.per is IssuedPer.HOUSEHOLD and recipient.household_id is None:
        raise Refused(
            Rule.HOUSEHOLD_UNKNOWN,
            f"{rules.item.value} is issued per household, and the person's household (arrival) "
            "is not known to aid yet",
        )


def check_limits(
    rules: ItemRules, history: Sequence[Issue], quantity: int, now: datetime, whom: str
) -> None:
    """The limits that count earlier issues to ``whom`` (a person or a household); raises
    Refused naming the first rule that does not pass, with when it would."""
    used = sum(issue.quantity for issue in history)
    if rules.total_cap is not None and used + quantity > rules.total_cap:
        raise Refused(
            Rule.TOTAL_CAP,
            f"{whom} received {used} of at most {rules.total_cap} {rules.item.value} in total",
        )
    if rules.max_per_day is not None and quantity > rules.max_per_day:
        raise Refused(
            Rule.MAX_PER_DAY,
            f"at most {rules.max_per_day} {rules.item.value} per day; {quantity} asked at once",
        )
    eligible_at = next_eligible(rules, history, quantity, now)
    assert eligible_at is not None  # only the cap and the day limit make it never
    if eligible_at == now:
        return
    last = max((issue.at for issue in history), default=None)
    if rules.min_interval and last is not None and now < last + rules.min_interval:
        raise Refused(
            Rule.MIN_INTERVAL,
            f"{whom} received {rules.item.value} at {last.isoformat()}; the next may be issued "
            f"{_hours(rules.min_interval)} later",
            eligible_at,
        )
    today = _on_day(history, local_day(now))
    raise Refused(
        Rule.MAX_PER_DAY,
        f"{whom} received {today} of at most {rules.max_per_day} {rules.item.value} today",
        eligible_at,
    )


def next_eligible(
    rules: ItemRules, history: Sequence[Issue], quantity: int, now: datetime
) -> datetime | None:
    """The earliest moment from ``now`` on when ``quantity`` more would pass the limits, or None
    when no moment will (the total cap, or more than a day's maximum at once)."""
    used = sum(issue.quantity for issue in history)
    if rules.total_cap is not None and used + quantity > rules.total_cap:
        return None
    if rules.max_per_day is not None and quantity > rules.max_per_day:
        return None
    last = max((issue.at for issue in history), default=None)
    moment = now
    # each round passes the interval once or one day that has issues: it ends
    for _ in range(len(history) + 2):
        later = moment
        if rules.min_interval and last is not None:
            later = max(later, last + rules.min_interval)
        if (
            rules.max_per_day is not None
            and _on_day(history, local_day(later)) + quantity > rules.max_per_day
        ):
            later = start_of_local_day(local_day(later) + timedelta(days=1))
        if later == moment:
            return moment
        moment = later
    return moment


@dataclass(frozen=True)
class Outlook:
    """Whether one more unit may be issued now, or which rule stands in the way until when."""

    item: AidItem
    per: IssuedPer
    eligible_now: bool
    rule: Rule | None
    next_eligible_at: datetime | None


def outlook(
    rules: ItemRules, recipient: Recipient, history: Sequence[Issue], now: datetime
) -> Outlook:
    try:
        check_recipient(rules, recipient)
        check_limits(rules, history, 1, now, "they")
    except Refused as refused:
        return Outlook(rules.item, rules.per, False, refused.rule, refused.next_eligible_at)
    return Outlook(rules.item, rules.per, True, None, now)


def _on_day(history: Sequence[Issue], day: date) -> int:
    return sum(issue.quantity for issue in history if local_day(issue.at) == day)


def _hours(interval: timedelta) -> str:
    hours = int(interval.total_seconds() // 3600)
    return f"{hours // 24} days" if hours % 24 == 0 and hours >= 48 else f"{hours} hours"
