"""Consent in the deciders of housing and aid, given/when/then: a withdrawal frees the place
and forgets the person, whatever order the events reach the service in; aid refuses with the
rule no_consent and keeps no facts; a consent given again brings them back as new."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from services.aid.domain.beneficiary import Beneficiary, beneficiary
from services.aid.domain.beneficiary_commands import (
    ForgetBeneficiary,
    RecordResident,
    RegisterBeneficiary,
    UpdateBeneficiaryFacts,
)
from services.aid.domain.item_rules import DEFAULT_RULES
from services.aid.domain.rules import Recipient, Refused, Rule, check_recipient
from services.housing.domain.shelter import shelter
from services.housing.domain.shelter_commands import FreeWithoutConsent
from services.housing.domain.waitlist import Forget, Waitlist, waitlist
from shared.schemas.aid import (
    AidIssued,
    AidItem,
    BeneficiaryForgotten,
    BeneficiaryRegistered,
    EntitlementGranted,
    ResidentRecorded,
)
from shared.schemas.housing import (
    BedAssigned,
    PersonCheckedIn,
    PersonForgotten,
    PlaceFreedOnConsentWithdrawal,
    ShelterOpened,
)
from shared.schemas.intake import AgeBand
from shared.schemas.shelters import Requirements, ShelterKind, Unit
from tests.unit.given import scenario

NOW = datetime(2022, 9, 25, 6, 0, tzinfo=UTC)
PERSON, ARRIVAL, SHELTER, DORM = uuid4(), uuid4(), uuid4(), uuid4()
HOUSING, AID = "service:housing", "service:aid"


def opened() -> ShelterOpened:
    return ShelterOpened(actor="operator", occurred_at=NOW, shelter_id=SHELTER,
                         kind=ShelterKind.CAMP_DORMITORY,
                         units=(Unit(unit_id=DORM, places=12),))  # fmt: skip


def held() -> BedAssigned:
    return BedAssigned(actor=HOUSING, occurred_at=NOW, shelter_id=SHELTER, unit_id=DORM,
                       bed_number=1, person_id=PERSON, arrival_id=ARRIVAL,
                       hold_until=NOW + timedelta(hours=24))  # fmt: skip


def freed(*, checked_in: bool) -> PlaceFreedOnConsentWithdrawal:
    return PlaceFreedOnConsentWithdrawal(actor=HOUSING, occurred_at=NOW, shelter_id=SHELTER,
                                         unit_id=DORM, bed_number=1, person_id=PERSON,
                                         checked_in=checked_in)  # fmt: skip


class TestHousing:
    def test_a_withdrawal_frees_a_held_place(self) -> None:
        scenario(shelter).given(opened(), held()).when(
            FreeWithoutConsent(SHELTER, PERSON, HOUSING, NOW)
        ).then(freed(checked_in=False))

    def test_a_withdrawal_frees_a_taken_place_and_the_place_is_free_again(self) -> None:
        checked_in = PersonCheckedIn(actor="operator", occurred_at=NOW, shelter_id=SHELTER,
                                     unit_id=DORM, bed_number=1, person_id=PERSON)  # fmt: skip
        scenario(shelter).given(opened(), held(), checked_in).when(
            FreeWithoutConsent(SHELTER, PERSON, HOUSING, NOW)
        ).then(freed(checked_in=True))
        state = shelter.fold([opened(), held(), checked_in, freed(checked_in=True)])
        assert state.places == {}

    def test_a_withdrawal_of_someone_without_a_place_here_frees_nothing(self) -> None:
        scenario(shelter).given(opened()).when(
            FreeWithoutConsent(SHELTER, PERSON, HOUSING, NOW)
        ).then()

    def test_a_forgotten_person_waits_no_more_and_may_wait_again_as_new(self) -> None:
        wait = Waitlist(
            ARRIVAL, (PERSON,), "no_fitting_place", False, True, Requirements(), HOUSING, NOW
        )
        waited = scenario(waitlist).when(wait).decided()
        forgotten = PersonForgotten(actor=HOUSING, occurred_at=NOW, arrival_id=ARRIVAL,
                                    person_id=PERSON)  # fmt: skip
        scenario(waitlist).given(*waited).when(Forget(ARRIVAL, PERSON, HOUSING, NOW)).then(
            forgotten
        )
        assert scenario(waitlist).given(*waited, forgotten).when(wait).decided() == waited

    def test_a_withdrawal_overtaking_the_arrival_is_recorded_all_the_same(self) -> None:
        scenario(waitlist).when(Forget(ARRIVAL, PERSON, HOUSING, NOW)).then(
            PersonForgotten(actor=HOUSING, occurred_at=NOW, arrival_id=ARRIVAL, person_id=PERSON)
        )


def register(*, on_consent: bool = False) -> RegisterBeneficiary:
    return RegisterBeneficiary(PERSON, ARRIVAL, AgeBand.ADULT, (), AID, NOW, on_consent)


def registered() -> BeneficiaryRegistered:
    return BeneficiaryRegistered(
        actor=AID, occurred_at=NOW, person_id=PERSON, household_id=ARRIVAL,
        age_band=AgeBand.ADULT, vulnerable=False,
    )  # fmt: skip


FORGOTTEN = BeneficiaryForgotten(actor=AID, occurred_at=NOW, person_id=PERSON)


class TestAid:
    def test_a_person_who_did_not_agree_is_refused_with_the_rule_no_consent(self) -> None:
        recipient = Recipient(known=False, closed=None, resident=False, household_id=None,
                              vulnerable=False, agreed=False)  # fmt: skip
        try:
            check_recipient(DEFAULT_RULES[AidItem.HOT_MEAL], recipient)
        except Refused as refusal:
            assert refusal.rule is Rule.NO_CONSENT
            assert '"purpose": "aid"' in str(refusal)
        else:
            raise AssertionError("issued to a person who did not agree to aid")

    def test_an_arrival_without_the_consent_leaves_only_that_they_did_not_agree(self) -> None:
        scenario(beneficiary).when(ForgetBeneficiary(PERSON, AID, NOW, on_arrival=True)).then(
            FORGOTTEN
        )
        state = beneficiary.fold([FORGOTTEN])
        assert (state.household_id, state.age_band, state.registered) == (None, None, False)
        assert not state.recipient.agreed

    def test_a_withdrawal_forgets_the_facts_and_entitlements_but_not_what_was_issued(
        self,
    ) -> None:
        issued = AidIssued(actor="operator", occurred_at=NOW, person_id=PERSON, issue_id=uuid4(),
                           item=AidItem.SIM_CARD, quantity=1, site_id="atameken")  # fmt: skip
        resident = ResidentRecorded(actor=AID, occurred_at=NOW, person_id=PERSON,
                                    shelter_id=SHELTER, checked_in=True)  # fmt: skip
        granted = EntitlementGranted(actor=AID, occurred_at=NOW, person_id=PERSON,
                                     item=AidItem.FOOD_PARCEL, per_day=1)  # fmt: skip
        history = [registered(), resident, granted, issued]
        scenario(beneficiary).given(*history).when(ForgetBeneficiary(PERSON, AID, NOW)).then(
            FORGOTTEN
        )
        state = beneficiary.fold([*history, FORGOTTEN])
        assert state == Beneficiary(issued=state.issued, forgotten=True)
        assert AidItem.SIM_CARD in state.issued

    def test_nothing_new_is_recorded_of_a_forgotten_person(self) -> None:
        for command in (
            register(),  # an arrival that still carried the consent, overtaken by withdrawal
            RecordResident(PERSON, SHELTER, AID, NOW, checked_in=True),
            UpdateBeneficiaryFacts(PERSON, AgeBand.ELDER, (), AID, NOW),
            ForgetBeneficiary(PERSON, AID, NOW),
        ):
            scenario(beneficiary).given(FORGOTTEN).when(command).then()

    def test_a_consent_given_again_registers_them_as_new(self) -> None:
        scenario(beneficiary).given(registered(), FORGOTTEN).when(register(on_consent=True)).then(
            registered()
        )
        state = beneficiary.fold([registered(), FORGOTTEN, registered()])
        assert state.recipient.agreed and state.registered

    def test_an_arrival_without_the_consent_overtaken_by_a_later_consent_forgets_nothing(
        self,
    ) -> None:
        scenario(beneficiary).given(registered()).when(
            ForgetBeneficiary(PERSON, AID, NOW, on_arrival=True)
        ).then()
