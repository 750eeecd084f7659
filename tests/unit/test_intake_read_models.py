"""Intake's read models as folds, given/when/then: what an event does to the rows it touches."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from uuid import UUID, uuid4

from services.intake.case_rows import CASES, MEMBERS, Member
from services.intake.events import (
    DuplicateSuspected,
    PersonalDetailsCorrected,
    PersonalDetailsRecorded,
)
from services.intake.person_rows import CONSENTS, DETAILS, FLAGS, INDEX, Consent, Flag, IndexSource
from services.intake.projections import READ_MODELS
from shared.folds import Delete, Put
from shared.schemas.intake import (
    AgeBand,
    ArrivalRegistered,
    ArrivingMember,
    ConsentGiven,
    ConsentPurpose,
    ConsentWithdrawn,
    PersonErased,
    PersonsMerged,
    Relation,
    Sex,
)
from tests.unit.given_rows import given

NOW = datetime(2022, 9, 24, 21, 0, tzinfo=UTC)
ARRIVAL, ANNA, BORIS = uuid4(), uuid4(), uuid4()


def arrival(*people: UUID) -> ArrivalRegistered:
    members = tuple(
        ArrivingMember(
            person_id=person, age_band=AgeBand.YOUNG_ADULT, sex=Sex.FEMALE, relation=Relation.SELF
        )
        for person in people
    )
    return ArrivalRegistered(
        actor="partner:welcome",
        occurred_at=NOW,
        arrival_id=ARRIVAL,
        partner_id="welcome",
        members=members,
        keep_together=True,
        arrival_date=date(2022, 9, 24),
        crossing_point="syrym",
    )


def recorded(person: UUID, sealed: str = "sealed-1") -> PersonalDetailsRecorded:
    return PersonalDetailsRecorded(
        actor="partner:welcome",
        occurred_at=NOW,
        person_id=person,
        arrival_id=ARRIVAL,
        partner_id="welcome",
        member_index=0,
        member=arrival(person).members[0],
        sealed=sealed,
    )


def suspected(person: UUID, candidate: UUID) -> DuplicateSuspected:
    return DuplicateSuspected(
        actor="service:intake",
        occurred_at=NOW,
        person_id=person,
        candidate_person_id=candidate,
        rule="same_document",
    )


def member(person: UUID, status: str = "active") -> Member:
    return Member(person, ARRIVAL, "18-29", "female", "self", [], [], status)


def test_an_arrival_registered_again_changes_no_case_and_adds_only_members_not_known() -> None:
    scenario = given(READ_MODELS, arrival(ANNA))
    [case] = scenario.rows(CASES)
    assert (case.member_count, case.keep_together, case.correlation_id) == (1, True, "correlation")
    scenario.then(arrival(ANNA, BORIS), Put(MEMBERS, member(BORIS)))


def test_a_correction_reindexes_the_person_even_when_no_details_row_holds_them() -> None:
    corrected = PersonalDetailsCorrected(
        actor="operator", occurred_at=NOW, person_id=ANNA, field="family_name", sealed="sealed-2"
    )
    given(READ_MODELS).then(corrected, Put(INDEX, IndexSource(ANNA, "sealed-2")))
    [details] = given(READ_MODELS, recorded(ANNA)).rows(DETAILS)
    given(READ_MODELS, recorded(ANNA)).then(
        corrected,
        Put(DETAILS, replace(details, sealed="sealed-2")),
        Put(INDEX, IndexSource(ANNA, "sealed-2")),
    )


def test_the_latest_consent_stands_and_one_to_no_partner_is_kept_under_the_empty_partner() -> None:
    withdrawn = ConsentWithdrawn(
        actor="partner:welcome", occurred_at=NOW, person_id=ANNA, purpose=ConsentPurpose.HOUSING
    )
    scenario = given(
        READ_MODELS,
        ConsentGiven(
            actor="partner:welcome", occurred_at=NOW, person_id=ANNA, purpose=ConsentPurpose.HOUSING
        ),
    )
    scenario.then(withdrawn, Put(CONSENTS, Consent(ANNA, "housing", "", False, NOW)))


def test_a_duplicate_suspected_twice_is_flagged_once() -> None:
    given(READ_MODELS, suspected(ANNA, BORIS)).then(suspected(ANNA, BORIS))


def test_a_merge_resolves_only_the_flag_between_the_two_and_marks_the_duplicate_merged() -> None:
    other = uuid4()
    scenario = given(
        READ_MODELS, arrival(ANNA, BORIS), suspected(ANNA, BORIS), suspected(ANNA, other)
    )
    merged = PersonsMerged(
        actor="operator", occurred_at=NOW, duplicate_person_id=ANNA, kept_person_id=BORIS
    )
    scenario.then(
        merged,
        Put(MEMBERS, replace(member(ANNA, "merged"), merged_into=BORIS)),
        Put(FLAGS, Flag(ANNA, BORIS, "same_document", NOW, "merged")),
    )


def test_erasing_a_person_drops_their_details_index_and_flags_on_either_side() -> None:
    other = uuid4()
    scenario = given(
        READ_MODELS,
        arrival(ANNA),
        recorded(ANNA),
        suspected(ANNA, BORIS),
        suspected(other, ANNA),
        suspected(other, BORIS),
    )
    scenario.then(
        PersonErased(actor="operator", occurred_at=NOW, person_id=ANNA),
        Put(MEMBERS, member(ANNA, "erased")),
        Delete(DETAILS, ANNA),
        Delete(INDEX, ANNA),
        Delete(FLAGS, (ANNA, BORIS, "same_document")),
        Delete(FLAGS, (other, ANNA, "same_document")),
    )
    scenario.given(PersonErased(actor="operator", occurred_at=NOW, person_id=ANNA))
    assert scenario.rows(FLAGS) == [Flag(other, BORIS, "same_document", NOW)]
    assert scenario.rows(INDEX) == [] and scenario.rows(DETAILS) == []
