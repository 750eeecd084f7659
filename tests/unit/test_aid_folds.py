"""Aid's read-model folds, given the events so far, when one more comes, then the rows it
writes; and the rule that keeps them the only writers of aid's read-model tables.

The rows so far are the rebuild's in-memory ones; the event's own fold sees only the rows it
declares it reads, as the live projection loads them, so a fold that reads a row it did not
declare fails here rather than reading it as missing live."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, cast
from uuid import UUID, uuid4

import pytest

from services.aid.read_models.folds import FOLDS, TABLE_FOLDS, changes, reads
from services.aid.read_models.rows import (
    TABLES,
    Beneficiary,
    Change,
    Collector,
    DailyTotal,
    Entitlement,
    Gone,
    R,
    Stock,
    SupportMatch,
    SupportOffer,
    SupportRequest,
)
from services.aid.rebuild import AidReadModels
from shared.eventstore import RecordedEvent
from shared.schemas.aid import (
    AidIssued,
    AidItem,
    BeneficiaryForgotten,
    BeneficiaryRegistered,
    DonationReceived,
    DonorKind,
    EntitlementGranted,
    EntitlementsClosed,
    MatchAccepted,
    MatchBasis,
    MatchCompleted,
    MatchProposed,
    MatchWithdrawn,
    OfferKind,
    OfferPlaceReleased,
    OfferPlaceTaken,
    OfferPublished,
    OfferWithdrawn,
    ResidencyEnded,
    ResidentRecorded,
    StockIssued,
    StockLot,
    StockTransferredOut,
    SupportKind,
    SupportRequested,
    SupportRequestWithdrawn,
)
from shared.schemas.base import DomainEvent
from shared.schemas.intake import AgeBand

pytestmark = pytest.mark.unit

NOW = datetime(2022, 9, 25, 6, 0, tzinfo=UTC)  # the 25th in Oral
TODAY = date(2022, 9, 25)
PERSON, HOUSEHOLD, SHELTER = uuid4(), uuid4(), uuid4()
ADULT = AgeBand.ADULT.value
SITE, FOOD, KIT = "atameken-camp", AidItem.FOOD_PARCEL, AidItem.HYGIENE_KIT
REQUEST, MATCH, OFFER = uuid4(), uuid4(), uuid4()
EVENT: dict[str, Any] = {"actor": "operator", "occurred_at": NOW}


class _Declared:
    """The rows before the event, but only those its folds declare they read."""

    def __init__(self, before: AidReadModels, event: DomainEvent) -> None:
        self.before, self.declared = before, reads(event)

    def get(self, row: type[R], key: tuple[Any, ...]) -> R | None:
        assert (row, key) in self.declared, f"{row.__name__} {key} read but not declared"
        return self.before.get(row, key)

    def collected(self, collector: Collector) -> bool:
        assert collector in self.declared, f"{collector} read but not declared"
        return self.before.collected(collector)


class Given:
    def __init__(self, *events: DomainEvent) -> None:
        self.tables = AidReadModels()
        for version, event in enumerate(events, 1):
            self.tables.apply(recorded(event, version))

    def when(self, event: DomainEvent) -> list[Change]:
        return changes(event, 99, _Declared(self.tables, event))


def given(*events: DomainEvent) -> Given:
    return Given(*events)


def recorded(event: DomainEvent, version: int) -> RecordedEvent:
    return RecordedEvent(
        global_position=version, stream_id=event.stream_id, version=version, event_id=uuid4(),
        event=event, topic=None, metadata={}, recorded_at=NOW,
    )  # fmt: skip


# --- beneficiaries and entitlements ---------------------------------------------------------


def registered(at: datetime = NOW) -> BeneficiaryRegistered:
    return BeneficiaryRegistered(
        **{**EVENT, "occurred_at": at}, person_id=PERSON, household_id=HOUSEHOLD,
        age_band=AgeBand.ADULT, vulnerable=False,
    )  # fmt: skip


def housed(checked_in: bool = True) -> ResidentRecorded:
    return ResidentRecorded(**EVENT, person_id=PERSON, shelter_id=SHELTER, checked_in=checked_in)


def granted(item: AidItem) -> EntitlementGranted:
    return EntitlementGranted(**EVENT, person_id=PERSON, item=item, per_day=1)


def closed(reason: Literal["departed", "merged"]) -> EntitlementsClosed:
    return EntitlementsClosed(**EVENT, person_id=PERSON, reason=reason)


def checked_out() -> ResidencyEnded:
    return ResidencyEnded(**EVENT, person_id=PERSON, shelter_id=SHELTER, reason="left")


def test_a_person_merged_away_and_registered_again_is_registered_with_the_new_facts() -> None:
    later = NOW + timedelta(days=1)
    rows = given(registered(), housed(), closed("merged")).when(registered(later))
    assert rows == [Beneficiary(PERSON, HOUSEHOLD, ADULT, later, None, None, "registered", False)]


def test_a_check_out_closes_only_the_resident_entitlements_still_open() -> None:
    rows = given(registered(), housed(), granted(FOOD), granted(KIT)).when(checked_out())
    assert rows == [
        Beneficiary(PERSON, HOUSEHOLD, ADULT, NOW, None, None, "checked_out", False),
        Entitlement(PERSON, FOOD.value, 1, NOW, NOW, "checked_out"),
    ]


def test_a_departure_that_overtakes_the_arrival_starts_the_person_closed() -> None:
    assert given().when(closed("departed")) == [Beneficiary(PERSON, status="departed")]


def test_a_check_out_of_a_person_aid_does_not_know_writes_nothing() -> None:
    assert given().when(checked_out()) == []


def test_a_forgotten_person_keeps_only_what_refuses_them_and_no_entitlement() -> None:
    forgotten = BeneficiaryForgotten(**EVENT, person_id=PERSON)
    rows = given(registered(), housed(), granted(FOOD), granted(KIT)).when(forgotten)
    assert rows == [
        Beneficiary(PERSON, status="no_consent"),
        Gone(Entitlement, (PERSON, FOOD.value)),
        Gone(Entitlement, (PERSON, KIT.value)),
    ]


# --- stock and distributions ----------------------------------------------------------------


def donated(quantity: int, expires_on: date | None) -> DonationReceived:
    return DonationReceived(
        **EVENT, stock_id=f"{SITE}:{FOOD.value}", site_id=SITE, item=FOOD, donation_id=uuid4(),
        quantity=quantity, unit="parcel", donor_kind=DonorKind.MUNICIPALITY,
        expires_on=expires_on,
    )  # fmt: skip


def drawn(quantity: int, expires_on: date | None) -> dict[str, Any]:
    return {
        **EVENT, "stock_id": f"{SITE}:{FOOD.value}", "site_id": SITE, "item": FOOD,
        "quantity": quantity, "lots": (StockLot(expires_on=expires_on, quantity=quantity),),
    }  # fmt: skip


def issued(person: UUID = PERSON) -> AidIssued:
    return AidIssued(
        **EVENT, person_id=person, issue_id=uuid4(), item=FOOD, quantity=2, site_id=SITE
    )


def test_an_issue_takes_from_the_earliest_expiring_lot_and_says_when_the_stock_next_expires() -> (
    None
):
    soon, later = date(2022, 10, 1), date(2022, 12, 1)
    stock = given(donated(5, later), donated(2, soon), donated(3, None))
    rows = stock.when(StockIssued(**drawn(2, soon), issue_id=uuid4()))
    assert [row for row in rows if isinstance(row, Stock)] == [
        Stock(SITE, FOOD.value, 8, ((later, 5), (None, 3)), later, NOW)
    ]


def test_a_second_issue_to_a_person_on_one_day_counts_a_distribution_but_no_new_person() -> None:
    rows = given(issued()).when(issued())
    assert [row for row in rows if isinstance(row, DailyTotal)] == [
        DailyTotal(TODAY, SITE, FOOD.value, issued=4, distributions=2, people=1)
    ]


def test_an_issue_to_another_person_counts_them_too() -> None:
    rows = given(issued()).when(issued(uuid4()))
    assert [row for row in rows if isinstance(row, DailyTotal)] == [
        DailyTotal(TODAY, SITE, FOOD.value, issued=4, distributions=2, people=2)
    ]


def test_a_transfer_out_adds_to_the_days_units_transferred_out() -> None:
    out = StockTransferredOut(**drawn(3, None), transfer_id=uuid4(), to_site_id="gym-5")
    rows = given(donated(3, None)).when(out)
    assert [row for row in rows if isinstance(row, DailyTotal)] == [
        DailyTotal(TODAY, SITE, FOOD.value, received=3, transferred_out=3)
    ]


# --- support ---------------------------------------------------------------------------------

REQUESTED = SupportRequested(
    **EVENT, request_id=REQUEST, person_id=PERSON, kind=SupportKind.ONWARD_TRAVEL,
    destination_country="GE",
)  # fmt: skip
PROPOSED = MatchProposed(
    **EVENT, request_id=REQUEST, match_id=MATCH, offer_id=OFFER, basis=MatchBasis.DESTINATION
)
ACCEPTED = MatchAccepted(**EVENT, request_id=REQUEST, match_id=MATCH, offer_id=OFFER)
WITHDRAWN = MatchWithdrawn(
    **EVENT, request_id=REQUEST, match_id=MATCH, offer_id=OFFER, reason="declined"
)


def test_an_accepted_match_that_falls_through_sends_its_request_back_to_waiting() -> None:
    rows = given(REQUESTED, PROPOSED, ACCEPTED).when(WITHDRAWN)
    assert rows == [
        SupportRequest(REQUEST, PERSON, "onward_travel", "open", "GE", NOW),
        SupportMatch(MATCH, REQUEST, OFFER, "destination", "withdrawn", NOW, NOW, "declined"),
    ]


def test_a_completed_match_closes_its_request_when_it_was_done() -> None:
    completed = MatchCompleted(**EVENT, request_id=REQUEST, match_id=MATCH, offer_id=OFFER)
    rows = given(REQUESTED, PROPOSED, ACCEPTED).when(completed)
    assert rows[0] == SupportRequest(REQUEST, PERSON, "onward_travel", "done", "GE", NOW, NOW)


def test_a_match_that_falls_through_leaves_a_withdrawn_request_withdrawn() -> None:
    gone = SupportRequestWithdrawn(
        **EVENT, request_id=REQUEST, person_id=PERSON, reason="no_longer_needed"
    )
    rows = given(REQUESTED, PROPOSED, ACCEPTED, gone).when(WITHDRAWN)
    assert [row for row in rows if isinstance(row, SupportRequest)] == []


def published(places: int) -> OfferPublished:
    return OfferPublished(
        **EVENT, offer_id=OFFER, kind=OfferKind.RIDE, country="GE", profession=None, skills=(),
        languages=("ru",), places=places,
    )  # fmt: skip


TAKEN = OfferPlaceTaken(**EVENT, offer_id=OFFER, match_id=MATCH, request_id=REQUEST)
RELEASED = OfferPlaceReleased(**EVENT, offer_id=OFFER, match_id=MATCH, request_id=REQUEST)


def test_an_offer_whose_last_place_is_taken_is_full_and_open_again_when_it_is_released() -> None:
    [full] = cast(Sequence[SupportOffer], given(published(1)).when(TAKEN))
    [again] = cast(Sequence[SupportOffer], given(published(1), TAKEN).when(RELEASED))
    assert (full.status, full.places_taken, again.status, again.places_taken) == (
        "full", 1, "open", 0,
    )  # fmt: skip


def test_a_withdrawn_offer_stays_withdrawn_when_a_place_is_given_back() -> None:
    withdrawn = OfferWithdrawn(**EVENT, offer_id=OFFER)
    [offer] = cast(Sequence[SupportOffer], given(published(2), TAKEN, withdrawn).when(RELEASED))
    assert (offer.status, offer.places_taken, offer.withdrawn_at) == ("withdrawn", 0, NOW)


# --- one fold per table, and only the folds write them ---------------------------------------


def test_every_read_model_table_has_exactly_one_fold() -> None:
    assert sorted(TABLES[fold.row].name for fold in TABLE_FOLDS) == sorted(
        table.name for table in TABLES.values()
    )


def test_a_fold_writes_the_rows_of_its_own_table_only() -> None:
    history: list[DomainEvent] = [
        registered(), housed(), granted(FOOD), checked_out(), closed("departed"), donated(5, None),
        issued(), StockIssued(**drawn(2, None), issue_id=uuid4()), REQUESTED, PROPOSED, ACCEPTED,
        published(1), TAKEN, WITHDRAWN, RELEASED, BeneficiaryForgotten(**EVENT, person_id=PERSON),
    ]  # fmt: skip
    tables = AidReadModels()
    for version, event in enumerate(history, 1):
        for fold in FOLDS[type(event)]:
            written = fold.fold(event, version, _Declared(tables, event))
            assert {c.row if isinstance(c, Gone) else type(c) for c in written} <= {fold.row}
        tables.apply(recorded(event, version))


AID = Path(__file__).resolve().parents[2] / "services" / "aid"
#: the one module besides the folds' writers that writes a read-model table, and why: it copies
#: a support request's details, which are kept outside the events, into its row (and blanks
#: them when the person is erased)
OUTSIDE_THE_EVENTS = {"request_details.py": {"support_requests"}}


def direct_writes(source: str) -> set[str]:
    """The read-model tables a module's SQL writes by name."""
    names = "|".join(table.name for table in TABLES.values())
    sql = rf"(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|TRUNCATE|COPY)\s+({names})\b"
    copy = rf"copy_(?:records_to_table|rows)\(\s*(?:conn,\s*)?[\"']({names})[\"']"
    return {m.group(1) for pattern in (sql, copy) for m in re.finditer(pattern, source, re.I)}


def test_no_aid_module_writes_a_read_model_table_but_through_the_folds() -> None:
    writing = {
        str(path.relative_to(AID)): found
        for path in sorted(AID.rglob("*.py"))
        if "migrations" not in path.parts and (found := direct_writes(path.read_text()))
    }
    assert writing == OUTSIDE_THE_EVENTS


def test_a_direct_write_of_a_read_model_table_is_caught() -> None:
    assert direct_writes('await conn.execute("UPDATE stock SET quantity = 0")') == {"stock"}
    assert direct_writes("await conn.copy_records_to_table('issues', records=[])") == {"issues"}
    assert direct_writes('"DELETE FROM entitlements WHERE person_id = $1"') == {"entitlements"}
