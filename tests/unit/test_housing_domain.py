from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid4

from hypothesis import given as hypothesis_given
from hypothesis import strategies as st

from services.housing.domain import (
    AssignBeds,
    OpenShelter,
    ShelterAlreadyOpen,
    ShelterFull,
    ShelterNotOpen,
    Waitlist,
    shelter,
    waitlist,
)
from shared.decider import DomainError
from shared.schemas.housing import BedAssigned, PersonWaitlisted, ShelterKind, ShelterOpened
from tests.unit.given import scenario

NOW = datetime(2022, 9, 24, 21, 0, tzinfo=UTC)
SHELTER = uuid4()
ARRIVAL = uuid4()


def opened(beds: int) -> ShelterOpened:
    return ShelterOpened(
        actor="operator",
        occurred_at=NOW,
        shelter_id=SHELTER,
        name="Atameken dorm 3",
        kind=ShelterKind.CAMP_DORMITORY,
        district="Zachagansk",
        beds=beds,
    )


def assigned(bed: int, person: UUID) -> BedAssigned:
    return BedAssigned(
        actor="service:housing",
        occurred_at=NOW,
        shelter_id=SHELTER,
        bed_number=bed,
        person_id=person,
        arrival_id=ARRIVAL,
    )


def assign(*people: UUID) -> AssignBeds:
    return AssignBeds(SHELTER, ARRIVAL, people, actor="service:housing", now=NOW)


def test_a_group_gets_consecutive_free_beds() -> None:
    first, second, third = uuid4(), uuid4(), uuid4()
    scenario(shelter).given(opened(12), assigned(1, first)).when(assign(second, third)).then(
        assigned(2, second), assigned(3, third)
    )


def test_a_full_dormitory_refuses_the_thirteenth_person() -> None:
    twelve = [assigned(bed, uuid4()) for bed in range(1, 13)]
    error = (
        scenario(shelter).given(opened(12), *twelve).when(assign(uuid4())).then_raises(ShelterFull)
    )
    assert "0 free bed(s), 1 needed" in str(error)


def test_a_group_that_does_not_fit_gets_no_bed_at_all() -> None:
    scenario(shelter).given(opened(3), assigned(1, uuid4())).when(
        assign(uuid4(), uuid4(), uuid4())
    ).then_raises(ShelterFull)


def test_a_person_already_in_the_shelter_is_not_given_a_second_bed() -> None:
    person = uuid4()
    scenario(shelter).given(opened(5), assigned(1, person)).when(assign(person)).then()


def test_beds_go_only_to_an_open_shelter() -> None:
    scenario(shelter).when(assign(uuid4())).then_raises(ShelterNotOpen)


def test_a_shelter_opens_once() -> None:
    command = OpenShelter(SHELTER, "Gym", ShelterKind.GYM, "Oral", 40, actor="operator", now=NOW)
    scenario(shelter).given(opened(12)).when(command).then_raises(ShelterAlreadyOpen)


def test_waitlisting_twice_changes_nothing() -> None:
    person = uuid4()
    entry = PersonWaitlisted(
        actor="service:housing",
        occurred_at=NOW,
        arrival_id=ARRIVAL,
        person_id=person,
        reason="full",
    )
    command = Waitlist(ARRIVAL, (person,), "full", actor="service:housing", now=NOW)
    scenario(waitlist).given(entry).when(command).then()


@hypothesis_given(
    beds=st.integers(min_value=1, max_value=30),
    parties=st.lists(st.integers(min_value=1, max_value=12), max_size=25),
)
def test_no_sequence_of_placements_overfills_a_shelter_or_doubles_a_bed(
    beds: int, parties: list[int]
) -> None:
    history: list[object] = [opened(beds)]
    state = shelter.fold([opened(beds)])
    for size in parties:
        try:
            events = shelter.decide(assign(*(uuid4() for _ in range(size))), state)
        except DomainError:
            continue
        for event in events:
            state = shelter.evolve(state, event)
            history.append(event)
    taken = [event.bed_number for event in history if isinstance(event, BedAssigned)]
    assert len(taken) <= beds
    assert len(set(taken)) == len(taken)
    assert all(1 <= bed <= beds for bed in taken)
