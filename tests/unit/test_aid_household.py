"""Per-household items are decided on the household, and the centre can change an item's rules."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from services.aid.domain.household import IssueHouseholdAid, household
from services.aid.domain.item_rules import DEFAULT_RULES, SetItemRules, item_rules, rules_in_force
from services.aid.domain.rules import Issue, Recipient, Refused, Rule, next_eligible, outlook
from shared.decision import DomainError
from shared.schemas.aid import AidItem, HouseholdAidIssued, IssuedPer, ItemRulesSet
from tests.unit.given import scenario

NOW = datetime(2022, 9, 25, 6, 0, tzinfo=UTC)
HOUSEHOLD = uuid4()
KIT = DEFAULT_RULES[AidItem.HYGIENE_KIT]
VOUCHER = DEFAULT_RULES[AidItem.CASH_VOUCHER]
MEMBER = Recipient(
    known=True, closed=None, resident=False, household_id=HOUSEHOLD, vulnerable=False
)


def collect(recipient: Recipient = MEMBER) -> IssueHouseholdAid:
    return IssueHouseholdAid(
        HOUSEHOLD, uuid4(), uuid4(), KIT.item, 1, "atameken", KIT, recipient, "operator", NOW
    )


def kit_given(at: datetime) -> HouseholdAidIssued:
    return HouseholdAidIssued(
        actor="operator",
        occurred_at=at,
        household_id=HOUSEHOLD,
        issue_id=uuid4(),
        person_id=uuid4(),
        item=AidItem.HYGIENE_KIT,
        quantity=1,
        site_id="mosque-central",
    )


class TestHouseholdItems:
    def test_a_member_collects_the_households_weekly_kit(self) -> None:
        command = collect()
        scenario(household).when(command).then(
            HouseholdAidIssued(
                actor="operator",
                occurred_at=NOW,
                household_id=HOUSEHOLD,
                issue_id=command.issue_id,
                person_id=command.person_id,
                item=AidItem.HYGIENE_KIT,
                quantity=1,
                site_id="atameken",
            )
        )

    def test_another_member_at_another_site_within_the_week_is_refused(self) -> None:
        error = (
            scenario(household)
            .given(kit_given(NOW - timedelta(days=2)))
            .when(collect())
            .then_raises(Refused)
        )
        assert error.rule is Rule.MIN_INTERVAL
        assert error.next_eligible_at == NOW + timedelta(days=5)

    def test_someone_outside_the_household_is_refused(self) -> None:
        stranger = replace(MEMBER, household_id=uuid4())
        scenario(household).when(collect(recipient=stranger)).then_raises(
            DomainError, "not a member"
        )

    def test_a_person_whose_household_is_unknown_is_refused_naming_the_rule(self) -> None:
        unknown = replace(MEMBER, household_id=None)
        error = scenario(household).when(collect(recipient=unknown)).then_raises(Refused)
        assert error.rule is Rule.HOUSEHOLD_UNKNOWN

    def test_a_departed_member_collects_nothing_for_the_household(self) -> None:
        departed = replace(MEMBER, closed="departed")
        error = scenario(household).when(collect(recipient=departed)).then_raises(Refused)
        assert error.rule is Rule.ENTITLEMENTS_CLOSED


class TestItemRules:
    def test_until_the_centre_sets_rules_the_defaults_apply(self) -> None:
        assert rules_in_force(AidItem.CASH_VOUCHER, item_rules.initial_state) == VOUCHER

    def test_setting_new_rules_records_them(self) -> None:
        two_vouchers = replace(VOUCHER, total_cap=2)
        [event] = scenario(item_rules).when(SetItemRules(two_vouchers, "operator", NOW)).decided()
        assert isinstance(event, ItemRulesSet)
        assert event.total_cap == 2 and event.min_interval_hours == 24 * 7
        assert item_rules.fold([event]) == two_vouchers

    def test_setting_the_rules_in_force_again_changes_nothing(self) -> None:
        scenario(item_rules).when(SetItemRules(VOUCHER, "operator", NOW)).then()

    def test_the_outlook_names_the_rule_and_when_it_passes(self) -> None:
        history = (Issue(NOW - timedelta(days=1), 1),)
        seen = outlook(KIT, MEMBER, history, NOW)
        assert (seen.eligible_now, seen.rule) == (False, Rule.MIN_INTERVAL)
        assert seen.next_eligible_at == NOW + timedelta(days=6)
        assert seen.per is IssuedPer.HOUSEHOLD
        assert outlook(KIT, MEMBER, (), NOW).eligible_now

    def test_nothing_limits_an_item_without_limits(self) -> None:
        free = replace(KIT, max_per_day=None, min_interval=timedelta(0), total_cap=None)
        history = tuple(Issue(NOW - timedelta(minutes=m), 5) for m in range(10))
        assert next_eligible(free, history, 100, NOW) == NOW
