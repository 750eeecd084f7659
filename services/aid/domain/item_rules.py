"""An aid item's rules: what it is counted in, the rules in force until the coordination centre
sets others, and those rules as a stream per item, so a change is an event (``ItemRulesSet``)
that every site's next decision sees. How the rules judge a person is in
``services.aid.domain.rules``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from types import MappingProxyType

from shared.decision import Decider, stamp
from shared.schemas.aid import AidItem, CountingUnit, IssuedPer, ItemRulesSet
from shared.schemas.base import DomainEvent


@dataclass(frozen=True)
class ItemRules:
    item: AidItem
    per: IssuedPer
    max_per_day: int | None
    min_interval: timedelta
    residents_only: bool
    vulnerable_first: bool
    total_cap: int | None
    low_stock_level: int

    @property
    def unit(self) -> str:
        return UNITS[self.item]

    @property
    def perishable(self) -> bool:
        return self.item in PERISHABLE


#: what each item is counted in; stock and donations use this unit
UNITS: MappingProxyType[AidItem, CountingUnit] = MappingProxyType(
    {
        AidItem.FOOD_PARCEL: "parcel",
        AidItem.HOT_MEAL: "portion",
        AidItem.HYGIENE_KIT: "kit",
        AidItem.SIM_CARD: "card",
        AidItem.BEDDING: "set",
        AidItem.WARM_CLOTHES: "set",
        AidItem.TRANSPORT_TICKET: "ticket",
        AidItem.CASH_VOUCHER: "voucher",
    }
)
#: food: donations carry an expiry date, and expired units are never handed out
PERISHABLE = frozenset({AidItem.FOOD_PARCEL, AidItem.HOT_MEAL})

_PERSON, _HOUSEHOLD, _H = IssuedPer.PERSON, IssuedPer.HOUSEHOLD, timedelta(hours=1)
#: the rules until the coordination centre sets others (ItemRulesSet)
DEFAULT_RULES = MappingProxyType(
    {
        rules.item: rules
        for rules in (
            ItemRules(AidItem.FOOD_PARCEL, _PERSON, 1, 0 * _H, True, False, None, 20),
            ItemRules(AidItem.HOT_MEAL, _PERSON, 2, 4 * _H, False, False, None, 30),
            ItemRules(AidItem.HYGIENE_KIT, _HOUSEHOLD, 1, 24 * 7 * _H, False, False, None, 10),
            ItemRules(AidItem.SIM_CARD, _PERSON, 1, 0 * _H, False, False, 1, 10),
            ItemRules(AidItem.BEDDING, _PERSON, 1, 0 * _H, False, True, 1, 5),
            ItemRules(AidItem.WARM_CLOTHES, _PERSON, 1, 24 * 30 * _H, False, True, None, 10),
            ItemRules(AidItem.TRANSPORT_TICKET, _PERSON, 1, 24 * _H, False, True, 4, 5),
            ItemRules(AidItem.CASH_VOUCHER, _HOUSEHOLD, 1, 24 * 7 * _H, False, True, 4, 10),
        )
    }
)


@dataclass(frozen=True)
class SetItemRules:
    rules: ItemRules
    actor: str
    now: datetime


#: None until rules are set: then the defaults apply
ItemRulesState = ItemRules | None


def rules_in_force(item: AidItem, state: ItemRulesState) -> ItemRules:
    return state if state is not None else DEFAULT_RULES[item]


def decide_item_rules(command: SetItemRules, state: ItemRulesState) -> list[DomainEvent]:
    rules = command.rules
    if rules == rules_in_force(rules.item, state):
        return []
    return [
        ItemRulesSet(
            **stamp(command),
            item=rules.item,
            per=rules.per,
            max_per_day=rules.max_per_day,
            min_interval_hours=int(rules.min_interval.total_seconds() // 3600),
            residents_only=rules.residents_only,
            vulnerable_first=rules.vulnerable_first,
            total_cap=rules.total_cap,
            low_stock_level=rules.low_stock_level,
        )
    ]


def rules_from(event: ItemRulesSet) -> ItemRules:
    return ItemRules(
        item=event.item,
        per=event.per,
        max_per_day=event.max_per_day,
        min_interval=timedelta(hours=event.min_interval_hours),
        residents_only=event.residents_only,
        vulnerable_first=event.vulnerable_first,
        total_cap=event.total_cap,
        low_stock_level=event.low_stock_level,
    )


def evolve_item_rules(state: ItemRulesState, event: DomainEvent) -> ItemRulesState:
    return rules_from(event) if isinstance(event, ItemRulesSet) else state


item_rules: Decider[SetItemRules, ItemRulesState] = Decider(
    None, decide_item_rules, evolve_item_rules
)
