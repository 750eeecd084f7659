from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from services.intake.domain.person import (
    MergeRefused,
    PersonErasedAlready,
    PersonMerged,
    UnknownPerson,
    person,
)
from services.intake.domain.person_commands import (
    ChangeConsent,
    Erase,
    MergeInto,
    RecordDetails,
    RegisterDeparture,
    UndoMerge,
)
from shared.decision import DomainError
from shared.schemas.base import DomainEvent
from shared.schemas.intake import (
    AgeBand,
    ArrivingMember,
    ConsentGiven,
    ConsentPurpose,
    ConsentWithdrawn,
    DepartureReason,
    MergeUndone,
    PersonDeparted,
    PersonsMerged,
    Relation,
    Sex,
)
from tests.unit.given import scenario

NOW = datetime(2022, 9, 25, 10, 0, tzinfo=UTC)
PERSON, OTHER, ARRIVAL = uuid4(), uuid4(), uuid4()
MEMBER = ArrivingMember(person_id=PERSON, age_band=AgeBand.ADULT, sex=Sex.MALE,
                        relation=Relation.SELF)  # fmt: skip


def registered() -> list[DomainEvent]:
    command = RecordDetails(PERSON, ARRIVAL, "wp", 0, MEMBER, "sealed", ((ConsentPurpose.AID,
                            None),), (), "partner:wp", NOW)  # fmt: skip
    return list(person.decide(command, person.initial_state))


def test_registration_records_details_and_the_consents_given() -> None:
    events = registered()
    assert [type(event).__name__ for event in events] == ["PersonalDetailsRecorded", "ConsentGiven"]


def test_withdrawing_a_consent_is_recorded_once() -> None:
    withdraw = ChangeConsent(PERSON, ConsentPurpose.AID, None, False, "partner:wp", NOW)
    scenario(person).given(*registered()).when(withdraw).then(
        ConsentWithdrawn(actor="partner:wp", occurred_at=NOW, person_id=PERSON,
                         purpose=ConsentPurpose.AID, arrival_id=ARRIVAL)
    )  # fmt: skip
    history = [*registered(), *person.decide(withdraw, person.fold(registered()))]
    scenario(person).given(*history).when(withdraw).then()


def test_a_consent_to_housing_given_later_carries_what_housing_needs_to_take_them_in() -> None:
    give = ChangeConsent(PERSON, ConsentPurpose.HOUSING, None, True, "partner:wp", NOW)
    scenario(person).given(*registered()).when(give).then(
        ConsentGiven(actor="partner:wp", occurred_at=NOW, person_id=PERSON,
                     purpose=ConsentPurpose.HOUSING, arrival_id=ARRIVAL, member=MEMBER)
    )  # fmt: skip


def test_a_consent_given_with_the_arrival_carries_no_facts_the_arrival_does() -> None:
    given = [event for event in registered() if isinstance(event, ConsentGiven)]
    assert [(event.member, event.arrival_id) for event in given] == [(None, None)]


def test_a_restored_record_carries_the_purposes_the_person_agreed_to() -> None:
    merged = PersonsMerged(actor="operator", occurred_at=NOW, duplicate_person_id=PERSON,
                           kept_person_id=OTHER)  # fmt: skip
    restored = person.decide(UndoMerge(PERSON, "operator", NOW),
                             person.fold([*registered(), merged]))  # fmt: skip
    assert isinstance(restored[0], MergeUndone)
    assert restored[0].consents == (ConsentPurpose.AID,)
    assert restored[0].agreed_to(ConsentPurpose.AID)
    assert not restored[0].agreed_to(ConsentPurpose.HOUSING)


def test_sharing_needs_a_partner_and_only_sharing_takes_one() -> None:
    scenario(person).given(*registered()).when(
        ChangeConsent(PERSON, ConsentPurpose.SHARING_WITH_PARTNER, None, True, "partner:hn", NOW)
    ).then_raises(DomainError, match="partner_id")
    scenario(person).given(*registered()).when(
        ChangeConsent(PERSON, ConsentPurpose.HOUSING, "other", True, "partner:hn", NOW)
    ).then_raises(DomainError)


def test_a_merged_record_answers_only_its_undo() -> None:
    merged = PersonsMerged(actor="operator", occurred_at=NOW, duplicate_person_id=PERSON,
                           kept_person_id=OTHER)  # fmt: skip
    scenario(person).given(*registered(), merged).when(
        RegisterDeparture(PERSON, DepartureReason.RETURNED, "partner:hn", NOW)
    ).then_raises(PersonMerged)
    scenario(person).given(*registered(), merged).when(UndoMerge(PERSON, "operator", NOW)).then(
        MergeUndone(actor="operator", occurred_at=NOW, duplicate_person_id=PERSON,
                    kept_person_id=OTHER, arrival_id=ARRIVAL, member=MEMBER,
                    consents=(ConsentPurpose.AID,))
    )  # fmt: skip


def test_a_record_is_not_merged_into_itself_nor_into_an_inactive_one() -> None:
    scenario(person).given(*registered()).when(
        MergeInto(PERSON, PERSON, True, "operator", NOW)
    ).then_raises(MergeRefused, match="itself")
    scenario(person).given(*registered()).when(
        MergeInto(PERSON, OTHER, False, "operator", NOW)
    ).then_raises(MergeRefused, match="not an active person")


def test_nothing_more_happens_to_an_erased_person_and_erasing_twice_changes_nothing() -> None:
    erased = list(person.decide(Erase(PERSON, "operator", NOW), person.fold(registered())))
    scenario(person).given(*registered(), *erased).when(
        RegisterDeparture(PERSON, DepartureReason.RETURNED, "partner:hn", NOW)
    ).then_raises(PersonErasedAlready)
    scenario(person).given(*registered(), *erased).when(Erase(PERSON, "operator", NOW)).then()


def test_a_person_departs_once() -> None:
    departed = PersonDeparted(actor="partner:hn", occurred_at=NOW, person_id=PERSON,
                              arrival_id=ARRIVAL,
                              reason=DepartureReason.FOUND_OWN_HOUSING)  # fmt: skip
    scenario(person).given(*registered(), departed).when(
        RegisterDeparture(PERSON, DepartureReason.RETURNED, "partner:hn", NOW)
    ).then()


def test_an_unknown_person_cannot_consent() -> None:
    scenario(person).when(
        ChangeConsent(PERSON, ConsentPurpose.AID, None, True, "partner:hn", NOW)
    ).then_raises(UnknownPerson)


def test_consent_given_is_in_the_state() -> None:
    state = person.fold(registered())
    assert (ConsentPurpose.AID, None) in state.consents
    assert isinstance(registered()[1], ConsentGiven)
