"""One item's stock at one site: donations, transfers, write-offs and the units of an issue."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import uuid4

import pytest

from services.aid.domain.rules import Refused, Rule
from services.aid.domain.stock import (
    DrawStock,
    ReceiveDonation,
    Stock,
    TransferIn,
    TransferOut,
    WriteOff,
    stock,
)
from shared.decision import DomainError
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
)
from tests.unit.given import scenario

NOW = datetime(2022, 9, 25, 6, 0, tzinfo=UTC)  # the 25th in Oral
TODAY = date(2022, 9, 25)
SITE, OTHER = "atameken", "mosque-central"
FOOD, KIT = AidItem.FOOD_PARCEL, AidItem.HYGIENE_KIT


def donated(quantity: int, expires_on: date | None, item: AidItem = FOOD) -> DonationReceived:
    return DonationReceived(
        actor="operator",
        occurred_at=NOW,
        stock_id=f"{SITE}:{item.value}",
        site_id=SITE,
        item=item,
        donation_id=uuid4(),
        quantity=quantity,
        unit="parcel" if item is FOOD else "kit",
        donor_kind=DonorKind.LOCAL_VOLUNTEER,
        expires_on=expires_on,
    )


def draw(
    quantity: int, reserve: int = 0, vulnerable: bool = False, item: AidItem = FOOD
) -> DrawStock:
    return DrawStock(SITE, item, uuid4(), quantity, reserve, vulnerable, "operator", NOW)


def donation(
    quantity: int, unit: str, expires_on: date | None, item: AidItem = FOOD
) -> ReceiveDonation:
    return ReceiveDonation(
        SITE, item, uuid4(), quantity, unit, DonorKind.BUSINESS, expires_on, "operator", NOW
    )


class TestDonations:
    def test_a_donation_of_food_with_its_expiry_is_received(self) -> None:
        command = donation(40, "parcel", date(2022, 10, 20))
        scenario(stock).when(command).then(
            DonationReceived(
                actor="operator",
                occurred_at=NOW,
                stock_id="atameken:food_parcel",
                site_id=SITE,
                item=FOOD,
                donation_id=command.donation_id,
                quantity=40,
                unit="parcel",
                donor_kind=DonorKind.BUSINESS,
                expires_on=date(2022, 10, 20),
            )
        )

    def test_food_without_an_expiry_date_is_refused(self) -> None:
        scenario(stock).when(donation(5, "parcel", None)).then_raises(DomainError, "expiry")

    def test_food_already_expired_is_refused(self) -> None:
        scenario(stock).when(donation(5, "parcel", date(2022, 9, 24))).then_raises(
            DomainError, "expired"
        )

    def test_a_donation_in_another_unit_is_refused_naming_the_unit(self) -> None:
        scenario(stock).when(donation(5, "kg", date(2022, 10, 1))).then_raises(
            DomainError, "counted in 'parcel'"
        )

    def test_what_does_not_expire_needs_no_expiry(self) -> None:
        decided = scenario(stock).when(donation(5, "kit", None, item=KIT)).decided()
        assert len(decided) == 1


class TestIssues:
    def test_units_are_taken_from_the_lot_that_expires_first(self) -> None:
        command = draw(3)
        scenario(stock).given(donated(5, date(2022, 10, 30)), donated(2, date(2022, 10, 1))).when(
            command
        ).then(
            StockIssued(
                actor="operator",
                occurred_at=NOW,
                stock_id="atameken:food_parcel",
                site_id=SITE,
                item=FOOD,
                issue_id=command.issue_id,
                quantity=3,
                lots=(
                    StockLot(expires_on=date(2022, 10, 1), quantity=2),
                    StockLot(expires_on=date(2022, 10, 30), quantity=1),
                ),
            )
        )

    def test_an_empty_store_refuses_naming_the_rule(self) -> None:
        error = scenario(stock).when(draw(1)).then_raises(Refused)
        assert error.rule is Rule.OUT_OF_STOCK

    def test_expired_food_is_never_handed_out(self) -> None:
        expired = donated(4, date(2022, 9, 24))
        error = scenario(stock).given(expired).when(draw(1)).then_raises(Refused, "0 usable")
        assert error.rule is Rule.OUT_OF_STOCK

    def test_food_expiring_today_is_still_handed_out(self) -> None:
        assert len(scenario(stock).given(donated(1, TODAY)).when(draw(1)).decided()) == 1

    def test_the_last_units_of_a_vulnerable_first_item_go_to_vulnerable_people_only(self) -> None:
        history = (donated(5, None, item=KIT),)
        error = (
            scenario(stock).given(*history).when(draw(1, reserve=5, item=KIT)).then_raises(Refused)
        )
        assert error.rule is Rule.VULNERABLE_FIRST
        assert len(scenario(stock).given(*history).when(draw(1, 5, True, KIT)).decided()) == 1

    def test_above_the_reserve_anyone_is_served(self) -> None:
        history = (donated(6, None, item=KIT),)
        assert (
            len(scenario(stock).given(*history).when(draw(1, reserve=5, item=KIT)).decided()) == 1
        )


class TestTransfersAndWriteOffs:
    def test_a_transfer_takes_usable_lots_and_they_arrive_with_their_expiry(self) -> None:
        lots = (StockLot(expires_on=date(2022, 10, 1), quantity=3),)
        out = TransferOut(SITE, FOOD, uuid4(), OTHER, 3, "operator", NOW)
        [sent] = scenario(stock).given(donated(10, date(2022, 10, 1))).when(out).decided()
        assert isinstance(sent, StockTransferredOut) and sent.lots == lots
        arrive = TransferIn(OTHER, FOOD, out.transfer_id, SITE, lots, "operator", NOW)
        [received] = scenario(stock).when(arrive).decided()
        assert isinstance(received, StockTransferredIn)
        assert stock.fold([received]) == Stock(((date(2022, 10, 1), 3),))

    def test_a_transfer_of_more_than_the_site_holds_is_refused(self) -> None:
        out = TransferOut(SITE, FOOD, uuid4(), OTHER, 11, "operator", NOW)
        error = scenario(stock).given(donated(10, date(2022, 10, 1))).when(out).then_raises(Refused)
        assert error.rule is Rule.OUT_OF_STOCK

    def test_a_transfer_to_the_same_site_is_refused(self) -> None:
        out = TransferOut(SITE, FOOD, uuid4(), SITE, 1, "operator", NOW)
        scenario(stock).given(donated(10, date(2022, 10, 1))).when(out).then_raises(
            DomainError, "two different sites"
        )

    def test_a_write_off_as_expired_takes_only_expired_units(self) -> None:
        history = (donated(2, date(2022, 9, 20)), donated(5, date(2022, 10, 20)))
        expired = WriteOff(SITE, FOOD, uuid4(), 2, WriteOffReason.EXPIRED, "operator", NOW)
        [written_off] = scenario(stock).given(*history).when(expired).decided()
        assert isinstance(written_off, StockWrittenOff)
        assert written_off.lots == (StockLot(expires_on=date(2022, 9, 20), quantity=2),)
        too_many = WriteOff(SITE, FOOD, uuid4(), 3, WriteOffReason.EXPIRED, "operator", NOW)
        scenario(stock).given(*history).when(too_many).then_raises(Refused, "2 expired")

    @pytest.mark.parametrize("reason", [WriteOffReason.SPOILED, WriteOffReason.LOST])
    def test_spoiled_or_lost_units_leave_the_stock(self, reason: WriteOffReason) -> None:
        history = (donated(5, date(2022, 10, 20)),)
        command = WriteOff(SITE, FOOD, uuid4(), 4, reason, "operator", NOW)
        decided = scenario(stock).given(*history).when(command).decided()
        assert stock.fold([*history, *decided]).quantity == 1

    def test_writing_off_more_than_the_stock_is_refused(self) -> None:
        command = WriteOff(SITE, FOOD, uuid4(), 6, WriteOffReason.LOST, "operator", NOW)
        scenario(stock).given(donated(5, date(2022, 10, 20))).when(command).then_raises(Refused)

    def test_a_quantity_below_one_is_refused(self) -> None:
        scenario(stock).given(donated(5, date(2022, 10, 20))).when(draw(0)).then_raises(
            DomainError, "at least 1"
        )
