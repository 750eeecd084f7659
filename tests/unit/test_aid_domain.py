"""The beneficiary decider: residency, closures and every rule of a per-person distribution."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from services.aid.domain.beneficiary import Beneficiary, beneficiary, is_vulnerable
from services.aid.domain.beneficiary_commands import (
    CloseEntitlements,
    EndResidency,
    IssueAid,
    RecordResident,
    RegisterBeneficiary,
    UpdateBeneficiaryFacts,
)
from services.aid.domain.item_rules import DEFAULT_RULES, ItemRules
from services.aid.domain.rules import Refused, Rule
from shared.decision import DomainError
from shared.schemas.aid import (
    AidIssued,
    AidItem,
    BeneficiaryFactsUpdated,
    BeneficiaryRegistered,
    EntitlementGranted,
    EntitlementsClosed,
    ResidencyEnded,
    ResidentRecorded,
)
from shared.schemas.base import DomainEvent
from shared.schemas.intake import AgeBand, NeedCode
from tests.unit.given import scenario

NOW = datetime(2022, 9, 25, 6, 0, tzinfo=UTC)  # 11:00 in Oral
LOCAL_MIDNIGHT = datetime(2022, 9, 25, 19, 0, tzinfo=UTC)  # 00:00 on the 26th in Oral
PERSON, HOUSEHOLD, SHELTER = uuid4(), uuid4(), uuid4()
ACTOR = "service:aid"
FOOD = DEFAULT_RULES[AidItem.FOOD_PARCEL]
MEAL = DEFAULT_RULES[AidItem.HOT_MEAL]
SIM = DEFAULT_RULES[AidItem.SIM_CARD]


def registered(person: UUID = PERSON, vulnerable: bool = False) -> BeneficiaryRegistered:
    return BeneficiaryRegistered(
        actor=ACTOR,
        occurred_at=NOW - timedelta(days=1),
        person_id=person,
        household_id=HOUSEHOLD,
        age_band=AgeBand.ADULT,
        vulnerable=vulnerable,
    )


def resident(shelter: UUID = SHELTER) -> ResidentRecorded:
    return ResidentRecorded(
        actor=ACTOR, occurred_at=NOW - timedelta(days=1), person_id=PERSON, shelter_id=shelter,
        checked_in=True,
    )  # fmt: skip


def issued(item: AidItem, at: datetime, quantity: int = 1) -> AidIssued:
    return AidIssued(
        actor="operator",
        occurred_at=at,
        person_id=PERSON,
        issue_id=uuid4(),
        item=item,
        quantity=quantity,
        site_id="atameken",
    )


def issue(rules: ItemRules, now: datetime = NOW, quantity: int = 1) -> IssueAid:
    return IssueAid(PERSON, uuid4(), rules.item, quantity, "atameken", rules, "operator", now)


def refused(history: tuple[DomainEvent, ...], command: IssueAid) -> Refused:
    error = scenario(beneficiary).given(*history).when(command).then_raises(Refused)
    assert isinstance(error, Refused)
    return error


class TestResidency:
    def test_a_new_resident_is_entitled_to_a_daily_food_parcel(self) -> None:
        scenario(beneficiary).when(RecordResident(PERSON, SHELTER, ACTOR, NOW)).then(
            ResidentRecorded(actor=ACTOR, occurred_at=NOW, person_id=PERSON, shelter_id=SHELTER),
            EntitlementGranted(
                actor=ACTOR, occurred_at=NOW, person_id=PERSON, item=AidItem.FOOD_PARCEL, per_day=1
            ),
        )

    def test_the_same_bed_reported_twice_changes_nothing(self) -> None:
        history = scenario(beneficiary).when(RecordResident(PERSON, SHELTER, ACTOR, NOW)).decided()
        scenario(beneficiary).given(*history).when(
            RecordResident(PERSON, SHELTER, ACTOR, NOW)
        ).then()

    def test_moving_shelter_keeps_the_entitlement_without_granting_it_twice(self) -> None:
        second = uuid4()
        history = scenario(beneficiary).when(RecordResident(PERSON, SHELTER, ACTOR, NOW)).decided()
        scenario(beneficiary).given(*history).when(RecordResident(PERSON, second, ACTOR, NOW)).then(
            ResidentRecorded(actor=ACTOR, occurred_at=NOW, person_id=PERSON, shelter_id=second)
        )

    def test_a_check_out_ends_the_residency(self) -> None:
        scenario(beneficiary).given(resident()).when(
            EndResidency(PERSON, SHELTER, "left", ACTOR, NOW)
        ).then(
            ResidencyEnded(
                actor=ACTOR, occurred_at=NOW, person_id=PERSON, shelter_id=SHELTER, reason="left"
            )
        )

    def test_a_late_check_out_from_a_shelter_left_earlier_changes_nothing(self) -> None:
        scenario(beneficiary).given(resident(), resident(uuid4())).when(
            EndResidency(PERSON, SHELTER, "moved", ACTOR, NOW)
        ).then()

    def test_checking_in_again_after_a_check_out_grants_the_food_parcel_again(self) -> None:
        grant = EntitlementGranted(
            actor=ACTOR, occurred_at=NOW, person_id=PERSON, item=AidItem.FOOD_PARCEL, per_day=1
        )
        left = ResidencyEnded(
            actor=ACTOR, occurred_at=NOW, person_id=PERSON, shelter_id=SHELTER, reason="left"
        )
        decided = (
            scenario(beneficiary)
            .given(resident(), grant, left)
            .when(RecordResident(PERSON, SHELTER, ACTOR, NOW))
            .decided()
        )
        assert [type(event) for event in decided] == [ResidentRecorded, EntitlementGranted]


class TestRegistration:
    def test_intake_facts_register_the_person_in_their_household(self) -> None:
        scenario(beneficiary).when(
            RegisterBeneficiary(PERSON, HOUSEHOLD, AgeBand.ADULT, (NeedCode.PREGNANT,), ACTOR, NOW)
        ).then(
            BeneficiaryRegistered(
                actor=ACTOR,
                occurred_at=NOW,
                person_id=PERSON,
                household_id=HOUSEHOLD,
                age_band=AgeBand.ADULT,
                vulnerable=True,
            )
        )

    def test_the_same_arrival_delivered_twice_registers_once(self) -> None:
        scenario(beneficiary).given(registered()).when(
            RegisterBeneficiary(PERSON, HOUSEHOLD, AgeBand.ADULT, (), ACTOR, NOW)
        ).then()

    def test_a_correction_that_changes_vulnerability_is_recorded(self) -> None:
        scenario(beneficiary).given(registered()).when(
            UpdateBeneficiaryFacts(PERSON, AgeBand.ADULT, (NeedCode.DISABILITY,), ACTOR, NOW)
        ).then(
            BeneficiaryFactsUpdated(
                actor=ACTOR,
                occurred_at=NOW,
                person_id=PERSON,
                age_band=AgeBand.ADULT,
                vulnerable=True,
            )
        )

    def test_a_correction_that_changes_nothing_aid_keeps_is_a_no_op(self) -> None:
        scenario(beneficiary).given(registered()).when(
            UpdateBeneficiaryFacts(PERSON, AgeBand.ADULT, (), ACTOR, NOW)
        ).then()

    @pytest.mark.parametrize(
        ("age_band", "needs", "expected"),
        [
            (AgeBand.ADULT, (), False),
            (AgeBand.CHILD, (), True),
            (AgeBand.ELDER, (), True),
            (AgeBand.YOUNG_ADULT, (NeedCode.SINGLE_HEADED_HOUSEHOLD,), True),
        ],
    )
    def test_children_elders_and_anyone_with_a_needs_code_count_as_vulnerable(
        self, age_band: AgeBand, needs: tuple[NeedCode, ...], expected: bool
    ) -> None:
        assert is_vulnerable(age_band, needs) is expected


class TestClosing:
    def test_a_departure_closes_the_entitlements(self) -> None:
        scenario(beneficiary).given(registered(), resident()).when(
            CloseEntitlements(PERSON, "departed", ACTOR, NOW)
        ).then(
            EntitlementsClosed(actor=ACTOR, occurred_at=NOW, person_id=PERSON, reason="departed")
        )

    def test_a_departure_before_the_arrival_reached_aid_is_still_recorded(self) -> None:
        decided = (
            scenario(beneficiary).when(CloseEntitlements(PERSON, "departed", ACTOR, NOW)).decided()
        )
        assert [type(event) for event in decided] == [EntitlementsClosed]

    def test_a_bed_reported_after_the_departure_opens_nothing(self) -> None:
        closed = EntitlementsClosed(
            actor=ACTOR, occurred_at=NOW, person_id=PERSON, reason="departed"
        )
        scenario(beneficiary).given(registered(), closed).when(
            RecordResident(PERSON, SHELTER, ACTOR, NOW)
        ).then()

    def test_departing_twice_closes_once(self) -> None:
        closed = EntitlementsClosed(
            actor=ACTOR, occurred_at=NOW, person_id=PERSON, reason="departed"
        )
        scenario(beneficiary).given(closed).when(
            CloseEntitlements(PERSON, "departed", ACTOR, NOW)
        ).then()

    def test_a_merged_record_housed_again_after_the_undo_is_entitled_again(self) -> None:
        merged = EntitlementsClosed(actor=ACTOR, occurred_at=NOW, person_id=PERSON, reason="merged")
        decided = (
            scenario(beneficiary)
            .given(registered(), resident(), merged)
            .when(RecordResident(PERSON, SHELTER, ACTOR, NOW))
            .decided()
        )
        assert [type(event) for event in decided] == [ResidentRecorded, EntitlementGranted]

    def test_a_restored_record_registers_again_even_with_the_same_facts(self) -> None:
        merged = EntitlementsClosed(actor=ACTOR, occurred_at=NOW, person_id=PERSON, reason="merged")
        decided = (
            scenario(beneficiary)
            .given(registered(), merged)
            .when(RegisterBeneficiary(PERSON, HOUSEHOLD, AgeBand.ADULT, (), ACTOR, NOW))
            .decided()
        )
        assert [type(event) for event in decided] == [BeneficiaryRegistered]
        state = beneficiary.fold([registered(), merged, *decided])
        assert state.closed is None


class TestIssuing:
    def test_a_resident_gets_a_food_parcel(self) -> None:
        command = issue(FOOD)
        scenario(beneficiary).given(registered(), resident()).when(command).then(
            AidIssued(
                actor="operator",
                occurred_at=NOW,
                person_id=PERSON,
                issue_id=command.issue_id,
                item=AidItem.FOOD_PARCEL,
                quantity=1,
                site_id="atameken",
            )
        )

    def test_a_held_bed_entitles_but_resident_only_items_wait_for_the_check_in(self) -> None:
        held = (
            scenario(beneficiary)
            .given(registered())
            .when(RecordResident(PERSON, SHELTER, ACTOR, NOW))
            .decided()
        )
        assert "EntitlementGranted" in [type(event).__name__ for event in held]
        assert refused((registered(), *held), issue(FOOD)).rule is Rule.RESIDENTS_ONLY
        checked_in = (
            scenario(beneficiary)
            .given(registered(), *held)
            .when(RecordResident(PERSON, SHELTER, ACTOR, NOW, checked_in=True))
            .decided()
        )
        assert [type(event).__name__ for event in checked_in] == ["ResidentRecorded"]
        scenario(beneficiary).given(registered(), *held, *checked_in).when(
            RecordResident(PERSON, SHELTER, ACTOR, NOW)  # a late bed report changes nothing
        ).then()

    def test_a_person_aid_never_heard_of_is_refused(self) -> None:
        assert refused((), issue(MEAL)).rule is Rule.NOT_REGISTERED

    def test_a_resident_only_item_is_refused_to_someone_not_checked_in(self) -> None:
        error = refused((registered(),), issue(FOOD))
        assert error.rule is Rule.RESIDENTS_ONLY
        assert error.next_eligible_at is None

    def test_an_item_for_everyone_is_issued_to_someone_not_checked_in(self) -> None:
        decided = scenario(beneficiary).given(registered()).when(issue(MEAL)).decided()
        assert [type(event) for event in decided] == [AidIssued]

    def test_after_a_check_out_the_resident_only_item_is_refused(self) -> None:
        left = ResidencyEnded(
            actor=ACTOR, occurred_at=NOW, person_id=PERSON, shelter_id=SHELTER, reason="left"
        )
        assert refused((registered(), resident(), left), issue(FOOD)).rule is Rule.RESIDENTS_ONLY

    def test_after_a_departure_everything_is_refused(self) -> None:
        closed = EntitlementsClosed(
            actor=ACTOR, occurred_at=NOW, person_id=PERSON, reason="departed"
        )
        error = refused((registered(), resident(), closed), issue(MEAL))
        assert error.rule is Rule.ENTITLEMENTS_CLOSED
        assert error.next_eligible_at is None

    def test_the_second_parcel_of_the_day_is_refused_until_local_midnight(self) -> None:
        history = (registered(), resident(), issued(AidItem.FOOD_PARCEL, NOW - timedelta(hours=2)))
        error = refused(history, issue(FOOD))
        assert error.rule is Rule.MAX_PER_DAY
        assert error.next_eligible_at == LOCAL_MIDNIGHT

    def test_yesterdays_parcel_does_not_count_today(self) -> None:
        yesterday = issued(AidItem.FOOD_PARCEL, LOCAL_MIDNIGHT - timedelta(days=1, minutes=1))
        decided = (
            scenario(beneficiary).given(registered(), resident(), yesterday).when(issue(FOOD))
        ).decided()
        assert len(decided) == 1

    def test_a_meal_within_four_hours_of_the_last_is_refused_until_they_have_passed(self) -> None:
        last = NOW - timedelta(hours=1)
        error = refused((registered(), issued(AidItem.HOT_MEAL, last)), issue(MEAL))
        assert error.rule is Rule.MIN_INTERVAL
        assert error.next_eligible_at == last + timedelta(hours=4)

    def test_when_the_interval_ends_after_the_days_maximum_the_next_day_is_named(self) -> None:
        meals = (
            issued(AidItem.HOT_MEAL, NOW - timedelta(hours=5)),
            issued(AidItem.HOT_MEAL, NOW - timedelta(minutes=30)),
        )
        error = refused((registered(), *meals), issue(MEAL))
        assert error.rule is Rule.MIN_INTERVAL
        assert error.next_eligible_at == LOCAL_MIDNIGHT  # two today already: tomorrow

    def test_a_capped_item_is_refused_for_good_once_the_cap_is_reached(self) -> None:
        history = (registered(), issued(AidItem.SIM_CARD, NOW - timedelta(days=10)))
        error = refused(history, issue(SIM))
        assert error.rule is Rule.TOTAL_CAP
        assert error.next_eligible_at is None

    def test_more_than_a_days_maximum_at_once_is_refused_for_good(self) -> None:
        error = refused((registered(), resident()), issue(FOOD, quantity=2))
        assert error.rule is Rule.MAX_PER_DAY
        assert error.next_eligible_at is None

    def test_the_rules_set_by_the_centre_apply_not_the_defaults(self) -> None:
        two_a_day = replace(FOOD, max_per_day=2)
        history = (registered(), resident(), issued(AidItem.FOOD_PARCEL, NOW - timedelta(hours=1)))
        decided = scenario(beneficiary).given(*history).when(issue(two_a_day)).decided()
        assert len(decided) == 1

    def test_a_household_item_is_not_decided_on_the_person(self) -> None:
        kit = DEFAULT_RULES[AidItem.HYGIENE_KIT]
        scenario(beneficiary).given(registered()).when(issue(kit)).then_raises(
            DomainError, "per household"
        )

    def test_the_state_says_who_may_receive(self) -> None:
        state = beneficiary.fold([registered(vulnerable=True), resident()])
        assert state == Beneficiary(
            shelter_id=SHELTER,
            checked_in=True,
            registered=True,
            household_id=HOUSEHOLD,
            age_band=AgeBand.ADULT,
            vulnerable=True,
        )
        assert state.recipient.resident and state.recipient.vulnerable
