"""The folds of who aid knows (beneficiaries), what they are entitled to (entitlements), and the
item rules the centre set."""

from __future__ import annotations

from collections.abc import Sequence
from typing import get_args

from services.aid.domain.beneficiary import NO_CONSENT, RESIDENT_ENTITLEMENTS
from services.aid.domain.residency import residency_of
from services.aid.read_models.rows import (
    Beneficiary,
    Change,
    Entitlement,
    Gone,
    ItemRule,
    Read,
    Rows,
    TableFold,
    reads_nothing,
)
from shared.schemas.aid import (
    AidItem,
    BeneficiaryFactsUpdated,
    BeneficiaryForgotten,
    BeneficiaryRegistered,
    EntitlementGranted,
    EntitlementsClosed,
    ItemRulesSet,
    ResidencyEnded,
    ResidentRecorded,
)

#: the entitlements that last while a person lives in a shelter
RESIDENT_ITEMS = tuple(item.value for item, _ in RESIDENT_ENTITLEMENTS)
ALL_ITEMS = tuple(item.value for item in AidItem)

PersonChanged = (
    BeneficiaryRegistered | BeneficiaryFactsUpdated | ResidentRecorded | ResidencyEnded
    | EntitlementsClosed | BeneficiaryForgotten
)  # fmt: skip
ClosingEvent = ResidencyEnded | EntitlementsClosed | BeneficiaryForgotten
EntitlementsChanged = EntitlementGranted | ClosingEvent


def beneficiary_reads(event: PersonChanged) -> Sequence[Read]:
    return () if isinstance(event, BeneficiaryForgotten) else ((Beneficiary, (event.person_id,)),)


def beneficiary_fold(event: PersonChanged, version: int, rows: Rows) -> Sequence[Change]:
    if isinstance(event, BeneficiaryForgotten):
        # the row shrinks to what refuses them (no_consent); issues stay in their table, as
        # stock and the daily totals are counted from them
        return (Beneficiary(event.person_id, status=NO_CONSENT),)
    before = rows.get(Beneficiary, (event.person_id,))
    if before is None:
        if isinstance(event, ResidencyEnded):
            return ()  # nobody to check out
        before = Beneficiary(event.person_id)
    if isinstance(event, BeneficiaryRegistered):
        # registered again: a merge undone, or the consent given again
        status = "registered" if before.status in ("merged", NO_CONSENT) else before.status
        return (
            before._replace(
                arrival_id=event.household_id, age_band=event.age_band.value,
                vulnerable=event.vulnerable, registered_at=event.occurred_at, status=status,
            ),
        )  # fmt: skip
    if isinstance(event, BeneficiaryFactsUpdated):
        return (before._replace(age_band=event.age_band.value, vulnerable=event.vulnerable),)
    if isinstance(event, ResidentRecorded):
        return (
            before._replace(
                shelter_id=event.shelter_id, resident_since=event.occurred_at,
                status=residency_of(event),
            ),
        )  # fmt: skip
    # no longer housed: checked out, or gone (departed, merged); a departure may overtake the
    # arrival, and then the row starts closed
    status = "checked_out" if isinstance(event, ResidencyEnded) else event.reason
    return (before._replace(shelter_id=None, resident_since=None, status=status),)


def _items_closed(event: ClosingEvent) -> tuple[str, ...]:
    """A check-out closes what residents get; a departure or a merge closes everything, and a
    person forgotten keeps nothing."""
    return RESIDENT_ITEMS if isinstance(event, ResidencyEnded) else ALL_ITEMS


def entitlement_reads(event: EntitlementsChanged) -> Sequence[Read]:
    if isinstance(event, EntitlementGranted):
        return ()
    return tuple((Entitlement, (event.person_id, item)) for item in _items_closed(event))


def entitlement_fold(event: EntitlementsChanged, version: int, rows: Rows) -> Sequence[Change]:
    if isinstance(event, EntitlementGranted):  # granted anew, or again after a closing
        return (Entitlement(event.person_id, event.item.value, event.per_day, event.occurred_at),)
    held = [
        entitlement
        for item in _items_closed(event)
        if (entitlement := rows.get(Entitlement, (event.person_id, item))) is not None
    ]
    if isinstance(event, BeneficiaryForgotten):
        return tuple(Gone(Entitlement, (event.person_id, e.item)) for e in held)
    reason = "checked_out" if isinstance(event, ResidencyEnded) else event.reason
    return tuple(
        entitlement._replace(closed_at=event.occurred_at, closed_reason=reason)
        for entitlement in held
        if entitlement.closed_at is None
    )


def item_rule_fold(event: ItemRulesSet, version: int, rows: Rows) -> Sequence[Change]:
    """An item's rules as set, whatever they were."""
    return (
        ItemRule(
            event.item.value, event.per.value, event.max_per_day, event.min_interval_hours,
            event.residents_only, event.vulnerable_first, event.total_cap,
            event.low_stock_level, event.occurred_at,
        ),
    )  # fmt: skip


BENEFICIARIES = TableFold(Beneficiary, get_args(PersonChanged), beneficiary_reads, beneficiary_fold)
ENTITLEMENTS = TableFold(
    Entitlement, get_args(EntitlementsChanged), entitlement_reads, entitlement_fold
)
ITEM_RULES = TableFold(ItemRule, (ItemRulesSet,), reads_nothing, item_rule_fold)
