"""For random rules and random interleavings of donations, transfers, write-offs, check-ins,
check-outs, departures and issues at several sites, the stock of no site ever goes below zero
and no distribution ever breaks a rule. The deciders run as the app runs them (both decisions of
an issue, or none); the events they leave are then checked by a separate, plain recount."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID, uuid4

from hypothesis import event as note_event
from hypothesis import given, settings, target
from hypothesis import strategies as st

from services.aid.domain.beneficiary import beneficiary
from services.aid.domain.beneficiary_commands import (
    CloseEntitlements,
    EndResidency,
    RecordResident,
    RegisterBeneficiary,
)
from services.aid.domain.distribution import recipient_decision, stock_decision
from services.aid.domain.household import household
from services.aid.domain.item_rules import ItemRules
from services.aid.domain.rules import local_day
from services.aid.domain.stock import ReceiveDonation, TransferIn, TransferOut, WriteOff, stock
from shared.decision import Decider, DomainError
from shared.schemas.aid import (
    AidIssued,
    AidItem,
    BeneficiaryRegistered,
    DonationReceived,
    DonorKind,
    EntitlementsClosed,
    HouseholdAidIssued,
    IssuedPer,
    ResidencyEnded,
    ResidentRecorded,
    StockIssued,
    StockTransferredIn,
    StockTransferredOut,
    StockWrittenOff,
    WriteOffReason,
    stock_id_of,
)
from shared.schemas.base import DomainEvent
from shared.schemas.intake import AgeBand, NeedCode

START = datetime(2022, 9, 24, 4, 0, tzinfo=UTC)
SITES = ("atameken", "mosque-central", "gym-5")
ITEMS = (AidItem.FOOD_PARCEL, AidItem.HYGIENE_KIT, AidItem.SIM_CARD)
UNITS = {AidItem.FOOD_PARCEL: "parcel", AidItem.HYGIENE_KIT: "kit", AidItem.SIM_CARD: "card"}
HOUSEHOLDS = (uuid4(), uuid4())
PEOPLE = tuple(uuid4() for _ in range(5))
SHELTER = uuid4()
S = TypeVar("S")
C = TypeVar("C")


def item_rules(item: AidItem) -> st.SearchStrategy[ItemRules]:
    return st.builds(
        ItemRules,
        item=st.just(item),
        per=st.sampled_from(IssuedPer),
        max_per_day=st.one_of(st.none(), st.integers(1, 3)),
        min_interval=st.sampled_from([timedelta(0), timedelta(hours=4), timedelta(days=1)]),
        residents_only=st.booleans(),
        vulnerable_first=st.booleans(),
        total_cap=st.one_of(st.none(), st.integers(1, 5)),
        low_stock_level=st.integers(0, 4),
    )


@dataclass(frozen=True)
class Op:
    kind: str
    args: tuple[Any, ...]


site = st.sampled_from(SITES)
item = st.sampled_from(ITEMS)
person = st.sampled_from(PEOPLE)
issue = st.builds(lambda *a: Op("issue", a), person, site, item, st.sampled_from([1, 1, 2]))
operation = st.one_of(
    issue, issue, issue, issue,
    st.builds(lambda *a: Op("donate", a), site, item, st.integers(1, 6), st.integers(-1, 3)),
    st.builds(lambda *a: Op("transfer", a), site, site, item, st.integers(1, 5)),
    st.builds(lambda *a: Op("write_off", a), site, item, st.integers(1, 3),
              st.sampled_from(WriteOffReason)),
    st.builds(lambda *a: Op("check_in", a), person),
    st.builds(lambda *a: Op("check_out", a), person),
    st.builds(lambda *a: Op("wait", a), st.sampled_from([0, 0, 5, 180, 300, 1200, 1800])),
    st.builds(lambda *a: Op("wait", a), st.sampled_from([0, 0, 5, 180, 300, 1200, 1800])),
    st.builds(lambda *a: Op("depart", a), st.sampled_from(PEOPLE[3:])),
)  # fmt: skip


class World:
    """Streams in memory, decided on as the app does: every decision of one command, or none."""

    def __init__(self, rules: dict[AidItem, ItemRules]) -> None:
        self.rules = rules
        self.streams: dict[str, list[DomainEvent]] = defaultdict(list)
        self.log: list[DomainEvent] = []
        self.now = START
        self.refusals = 0

    def state(self, decider: Decider[C, S], stream: str) -> S:
        return decider.fold(self.streams[stream])

    def commit(self, *decisions: tuple[str, Sequence[DomainEvent]]) -> None:
        for stream, events in decisions:
            self.streams[stream].extend(events)
            self.log.extend(events)

    def apply(self, op: Op) -> None:
        try:
            getattr(self, op.kind)(*op.args)
        except DomainError:
            self.refusals += 1  # nothing of the command was committed

    def wait(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)

    def donate(self, site: str, item: AidItem, quantity: int, days_left: int) -> None:
        expiry = local_day(self.now) + timedelta(days=days_left)
        command = ReceiveDonation(
            site, item, uuid4(), quantity, UNITS[item], DonorKind.NGO,
            expiry if item is AidItem.FOOD_PARCEL else None, "operator", self.now,
        )  # fmt: skip
        self._decide_stock(site, item, command)

    def transfer(self, origin: str, destination: str, item: AidItem, quantity: int) -> None:
        transfer_id = uuid4()
        out = TransferOut(origin, item, transfer_id, destination, quantity, "operator", self.now)
        sent = stock.decide(out, self.state(stock, stock_id_of(origin, item)))
        assert isinstance(sent[0], StockTransferredOut)
        arrive = TransferIn(
            destination, item, transfer_id, origin, sent[0].lots, "operator", self.now
        )
        arrived = stock.decide(arrive, self.state(stock, stock_id_of(destination, item)))
        self.commit((stock_id_of(origin, item), sent), (stock_id_of(destination, item), arrived))

    def write_off(self, site: str, item: AidItem, quantity: int, reason: WriteOffReason) -> None:
        self._decide_stock(
            site, item, WriteOff(site, item, uuid4(), quantity, reason, "operator", self.now)
        )

    def issue(self, person: UUID, site: str, item: AidItem, quantity: int) -> None:
        rules, issue_id = self.rules[item], uuid4()
        someone = self.state(beneficiary, str(person))
        stream, command = recipient_decision(
            rules, someone, person, issue_id, quantity, site, "operator", self.now
        )
        decider: Decider[Any, Any] = beneficiary if rules.per is IssuedPer.PERSON else household
        recipient_events = decider.decide(command, self.state(decider, stream))
        draw = stock_decision(rules, someone, issue_id, quantity, site, "operator", self.now)
        stock_events = stock.decide(draw, self.state(stock, stock_id_of(site, item)))
        self.commit((stream, recipient_events), (stock_id_of(site, item), stock_events))

    def check_in(self, person: UUID) -> None:
        self._decide_person(
            person, RecordResident(person, SHELTER, "service:aid", self.now, checked_in=True)
        )

    def check_out(self, person: UUID) -> None:
        self._decide_person(person, EndResidency(person, SHELTER, "left", "service:aid", self.now))

    def depart(self, person: UUID) -> None:
        self._decide_person(person, CloseEntitlements(person, "departed", "service:aid", self.now))

    def _decide_person(self, person: UUID, command: Any) -> None:
        events = beneficiary.decide(command, self.state(beneficiary, str(person)))
        self.commit((str(person), events))

    def _decide_stock(self, site: str, item: AidItem, command: Any) -> None:
        stream = stock_id_of(site, item)
        self.commit((stream, stock.decide(command, self.state(stock, stream))))


def register_everyone(world: World) -> None:
    """Five people in two households, three of them checked in; some stock at every site."""
    for index, someone in enumerate(PEOPLE):
        needs = (NeedCode.PREGNANT,) if index % 3 == 0 else ()
        command = RegisterBeneficiary(
            someone, HOUSEHOLDS[index % 2], AgeBand.ADULT, needs, "service:aid", START
        )
        world._decide_person(someone, command)
        if index < 3:
            world.check_in(someone)
    for site in SITES:
        for item in ITEMS:
            world.donate(site, item, 3, 2)


@settings(max_examples=150, deadline=None)
@given(
    rules=st.fixed_dictionaries({item: item_rules(item) for item in ITEMS}),
    operations=st.lists(operation, min_size=10, max_size=80),
)
def test_stock_never_goes_negative_and_no_rule_is_ever_broken(
    rules: dict[AidItem, ItemRules], operations: list[Op]
) -> None:
    world = World(rules)
    register_everyone(world)
    for op in operations:
        world.apply(op)
    recount(world.log, rules)
    issues = sum(isinstance(e, AidIssued | HouseholdAidIssued) for e in world.log)
    note_event(f"issues: {min(issues, 5)}{'+' if issues >= 5 else ''}")
    target(float(issues), label="issues")


def recount(log: Sequence[DomainEvent], rules: dict[AidItem, ItemRules]) -> None:
    """Replay the log the plain way and check every rule at every issue."""
    lots: dict[str, dict[date | None, int]] = defaultdict(lambda: defaultdict(int))
    status: dict[UUID, dict[str, Any]] = {}
    issued: dict[tuple[object, AidItem], list[tuple[datetime, int]]] = defaultdict(list)
    drawn: dict[UUID, tuple[str, int]] = {}
    recipient_of: dict[UUID, UUID] = {}  # the recipient's side comes first in the log
    for event in log:
        if isinstance(event, BeneficiaryRegistered):
            status[event.person_id] = {"resident": False, "closed": False,
                                       "household": event.household_id,
                                       "vulnerable": event.vulnerable}  # fmt: skip
        elif isinstance(event, ResidentRecorded):
            status[event.person_id]["resident"] = True
        elif isinstance(event, ResidencyEnded):
            status[event.person_id]["resident"] = False
        elif isinstance(event, EntitlementsClosed):
            status[event.person_id].update(resident=False, closed=True)
        elif isinstance(event, DonationReceived):
            lots[event.stock_id][event.expires_on] += event.quantity
        elif isinstance(event, StockTransferredIn):
            for lot in event.lots:
                lots[event.stock_id][lot.expires_on] += lot.quantity
        elif isinstance(event, StockTransferredOut | StockWrittenOff | StockIssued):
            day = local_day(event.occurred_at)
            usable_before = sum(
                units for expiry, units in lots[event.stock_id].items()
                if expiry is None or expiry >= day
            )  # fmt: skip
            for lot in event.lots:
                lots[event.stock_id][lot.expires_on] -= lot.quantity
                assert lots[event.stock_id][lot.expires_on] >= 0, "stock went below zero"
                if not isinstance(event, StockWrittenOff):
                    assert lot.expires_on is None or lot.expires_on >= day, "expired food left"
            if isinstance(event, StockIssued):
                drawn[event.issue_id] = (event.site_id, event.quantity)
                vulnerable = status[recipient_of[event.issue_id]]["vulnerable"]
                rule = rules[event.item]
                if rule.vulnerable_first and not vulnerable:
                    assert usable_before - event.quantity >= rule.low_stock_level, "reserve given"
        elif isinstance(event, AidIssued | HouseholdAidIssued):
            check_issue(event, rules[event.item], status, issued)
            recipient_of[event.issue_id] = event.person_id
    issues = [e for e in log if isinstance(e, AidIssued | HouseholdAidIssued)]
    assert {e.issue_id: (e.site_id, e.quantity) for e in issues} == drawn  # both sides, always


def check_issue(
    event: AidIssued | HouseholdAidIssued,
    rules: ItemRules,
    status: dict[UUID, dict[str, Any]],
    issued: dict[tuple[object, AidItem], list[tuple[datetime, int]]],
) -> None:
    someone = status[event.person_id]
    assert not someone["closed"], "issued after the departure"
    assert someone["resident"] or not rules.residents_only, "resident-only item to a non-resident"
    if isinstance(event, HouseholdAidIssued):
        assert rules.per is IssuedPer.HOUSEHOLD and someone["household"] == event.household_id
        whom: object = event.household_id
    else:
        assert rules.per is IssuedPer.PERSON
        whom = event.person_id
    earlier = issued[(whom, event.item)]
    at = event.occurred_at
    if rules.total_cap is not None:
        assert sum(q for _, q in earlier) + event.quantity <= rules.total_cap, "cap broken"
    if rules.max_per_day is not None:
        today = sum(q for t, q in earlier if local_day(t) == local_day(at))
        assert today + event.quantity <= rules.max_per_day, "daily maximum broken"
    if earlier and rules.min_interval:
        assert at - max(t for t, _ in earlier) >= rules.min_interval, "interval broken"
    earlier.append((at, event.quantity))


def test_the_recount_catches_a_broken_rule() -> None:
    """The checker above is not vacuous: a second parcel on one day fails it."""
    rules = {item: ItemRules(item, IssuedPer.PERSON, 1, timedelta(0), False, False, None, 0)
             for item in ITEMS}  # fmt: skip
    world = World(rules)
    register_everyone(world)
    world.donate("atameken", AidItem.FOOD_PARCEL, 5, 3)
    world.issue(PEOPLE[1], "atameken", AidItem.FOOD_PARCEL, 1)
    parcel = next(e for e in world.log if isinstance(e, AidIssued))
    forged = parcel.model_copy(update={"issue_id": uuid4()})
    try:
        recount([*world.log, forged], rules)
    except AssertionError as error:
        assert "daily maximum" in str(error)
    else:
        raise AssertionError("the recount let a second parcel in one day pass")
