"""The shelter and waitlist deciders, given/when/then, and their invariants under Hypothesis."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from hypothesis import given as hypothesis_given
from hypothesis import settings
from hypothesis import strategies as st

from services.housing.domain.fit import fits, is_vulnerable, requirements_of
from services.housing.domain.shelter import shelter
from services.housing.domain.shelter_commands import (
    AddUnit,
    AssignPlaces,
    ChangeCapacity,
    CheckIn,
    CheckOut,
    ExpireHolds,
    OfferHostPlace,
    Release,
    ShelterCommand,
    VerifyHostOffer,
    WithdrawHostOffer,
)
from services.housing.domain.shelter_state import (
    CapacityRefused,
    NoFittingPlace,
    NotHere,
    ShelterNotOpen,
    UnitCodeTaken,
)
from services.housing.domain.waitlist import LeaveWaitlist, Waitlist, waitlist
from shared.decision import DomainError
from shared.schemas.base import DomainEvent
from shared.schemas.housing import (
    BedAssigned,
    BedReleased,
    HoldExpired,
    HostOfferWithdrawn,
    PersonCheckedIn,
    PersonCheckedOut,
    ShelterOpened,
)
from shared.schemas.intake import AgeBand, ArrivingMember, NeedCode, Relation, Sex
from shared.schemas.shelters import Requirements, ShelterKind, Unit, UnitAttribute
from tests.unit.given import scenario

NOW = datetime(2022, 9, 24, 21, 0, tzinfo=UTC)
HOLD = NOW + timedelta(hours=24)
SHELTER, ARRIVAL = uuid4(), uuid4()
DORM, FAMILY, WOMEN = uuid4(), uuid4(), uuid4()
NOBODY_SPECIAL = Requirements()


def opened(*units: Unit) -> ShelterOpened:
    return ShelterOpened(
        actor="operator", occurred_at=NOW, shelter_id=SHELTER,
        kind=ShelterKind.CAMP_DORMITORY,
        units=units or (Unit(unit_id=DORM, places=12),),
    )  # fmt: skip


def held(unit: UUID, bed: int, person: UUID) -> BedAssigned:
    return BedAssigned(actor="service:housing", occurred_at=NOW, shelter_id=SHELTER,
                       unit_id=unit, bed_number=bed, person_id=person, arrival_id=ARRIVAL,
                       hold_until=HOLD)  # fmt: skip


def assign(*people: UUID, needs: Requirements = NOBODY_SPECIAL) -> AssignPlaces:
    return AssignPlaces(SHELTER, ARRIVAL, people, needs, HOLD, "service:housing", NOW)


def test_a_group_of_twelve_fills_one_twelve_bed_dormitory() -> None:
    group = [uuid4() for _ in range(12)]
    events = scenario(shelter).given(opened()).when(assign(*group)).decided()
    assert {(e.unit_id, e.bed_number) for e in events} == {(DORM, n) for n in range(1, 13)}  # type: ignore[attr-defined]


def test_a_group_goes_into_one_unit_when_one_fits_and_spreads_within_the_shelter_otherwise() -> (
    None
):
    units = (Unit(unit_id=DORM, places=12), Unit(unit_id=FAMILY, places=4))
    four = (
        scenario(shelter).given(opened(*units)).when(assign(*(uuid4() for _ in range(4)))).decided()
    )
    assert {e.unit_id for e in four} == {FAMILY}  # type: ignore[attr-defined]  # the fullest that fits
    fourteen = (
        scenario(shelter)
        .given(opened(*units))
        .when(assign(*(uuid4() for _ in range(14))))
        .decided()
    )
    assert len(fourteen) == 14 and {e.unit_id for e in fourteen} == {DORM, FAMILY}  # type: ignore[attr-defined]


def test_a_thirteenth_person_gets_nothing_in_a_full_dormitory() -> None:
    twelve = [held(DORM, bed, uuid4()) for bed in range(1, 13)]
    scenario(shelter).given(opened(), *twelve).when(assign(uuid4())).then_raises(NoFittingPlace)


def test_a_group_that_does_not_fit_gets_nothing_at_all() -> None:
    scenario(shelter).given(opened(), held(DORM, 1, uuid4())).when(
        assign(*(uuid4() for _ in range(12)))
    ).then_raises(NoFittingPlace)


def test_an_accessible_need_never_lands_in_an_inaccessible_unit() -> None:
    ground = Unit(unit_id=FAMILY, places=2, attributes=(UnitAttribute.ACCESSIBLE,))
    units = (Unit(unit_id=DORM, places=12), ground)
    needs = Requirements(accessible=True)
    [event] = scenario(shelter).given(opened(*units)).when(assign(uuid4(), needs=needs)).decided()
    assert event.unit_id == FAMILY  # type: ignore[attr-defined]
    scenario(shelter).given(opened(Unit(unit_id=DORM, places=12))).when(
        assign(uuid4(), needs=needs)
    ).then_raises(NoFittingPlace)


def test_women_only_units_take_only_women() -> None:
    unit = Unit(unit_id=WOMEN, places=4, attributes=(UnitAttribute.WOMEN_ONLY,))
    assert fits(unit, Requirements(all_women=True))
    assert not fits(unit, Requirements(all_women=False))


def test_a_family_with_children_needs_a_family_room_and_vulnerable_people_are_marked() -> None:
    child = ArrivingMember(person_id=uuid4(), age_band=AgeBand.CHILD, sex=Sex.FEMALE,
                           relation=Relation.CHILD)  # fmt: skip
    mother = ArrivingMember(person_id=uuid4(), age_band=AgeBand.ADULT, sex=Sex.FEMALE,
                            relation=Relation.SELF, needs=(NeedCode.ACCESSIBLE_PLACE,))  # fmt: skip
    needs = requirements_of([mother, child])
    assert needs == Requirements(accessible=True, family_room=True, all_women=True)
    assert is_vulnerable([mother, child]) and not is_vulnerable([mother])
    assert not fits(Unit(unit_id=DORM, places=9, attributes=(UnitAttribute.ACCESSIBLE,)), needs)


def test_check_in_takes_the_held_place_and_check_out_frees_it() -> None:
    person = uuid4()
    scenario(shelter).given(opened(), held(DORM, 3, person)).when(
        CheckIn(SHELTER, person, "operator", NOW)
    ).then(PersonCheckedIn(actor="operator", occurred_at=NOW, shelter_id=SHELTER, unit_id=DORM,
                           bed_number=3, person_id=person))  # fmt: skip
    checked_in = PersonCheckedIn(actor="operator", occurred_at=NOW, shelter_id=SHELTER,
                                 unit_id=DORM, bed_number=3, person_id=person)  # fmt: skip
    scenario(shelter).given(opened(), held(DORM, 3, person), checked_in).when(
        CheckOut(SHELTER, person, "left", "operator", NOW)
    ).then(PersonCheckedOut(actor="operator", occurred_at=NOW, shelter_id=SHELTER, unit_id=DORM,
                            bed_number=3, person_id=person, reason="left"))  # fmt: skip
    scenario(shelter).given(opened()).when(CheckIn(SHELTER, person, "operator", NOW)).then_raises(
        NotHere
    )


def test_only_expired_holds_expire() -> None:
    late, early = uuid4(), uuid4()
    short = BedAssigned(actor="service:housing", occurred_at=NOW, shelter_id=SHELTER, unit_id=DORM,
                        bed_number=2, person_id=early, arrival_id=ARRIVAL,
                        hold_until=NOW + timedelta(hours=1))  # fmt: skip
    scenario(shelter).given(opened(), held(DORM, 1, late), short).when(
        ExpireHolds(SHELTER, "service:housing", NOW + timedelta(hours=2))
    ).then(HoldExpired(actor="service:housing", occurred_at=NOW + timedelta(hours=2),
                       shelter_id=SHELTER, unit_id=DORM, bed_number=2,
                       person_id=early))  # fmt: skip


def test_a_departure_releases_a_held_place() -> None:
    person = uuid4()
    scenario(shelter).given(opened(), held(DORM, 5, person)).when(
        Release(SHELTER, person, "departed", "service:housing", NOW)
    ).then(BedReleased(actor="service:housing", occurred_at=NOW, shelter_id=SHELTER, unit_id=DORM,
                       bed_number=5, person_id=person, reason="departed"))  # fmt: skip


def test_capacity_never_drops_below_a_taken_place() -> None:
    scenario(shelter).given(opened(), held(DORM, 12, uuid4())).when(
        ChangeCapacity(SHELTER, DORM, 10, "operator", NOW)
    ).then_raises(CapacityRefused, match="12")


def test_a_host_offer_takes_people_only_once_verified_and_within_its_period() -> None:
    offer = OfferHostPlace(SHELTER, "host-network", "Derkul",
                           Unit(unit_id=DORM, places=3), date(2022, 9, 24),
                           date(2022, 10, 1), "partner:host-network", NOW)  # fmt: skip
    made = shelter.decide(offer, shelter.initial_state)
    scenario(shelter).given(*made).when(assign(uuid4())).then_raises(ShelterNotOpen)
    verified = shelter.decide(VerifyHostOffer(SHELTER, "partner:hn", NOW), shelter.fold(made))
    assert len(scenario(shelter).given(*made, *verified).when(assign(uuid4())).decided()) == 1
    late = AssignPlaces(SHELTER, ARRIVAL, (uuid4(),), NOBODY_SPECIAL, HOLD, "service:housing",
                        datetime(2022, 10, 2, tzinfo=UTC))  # fmt: skip
    scenario(shelter).given(*made, *verified).when(late).then_raises(ShelterNotOpen)


def test_a_units_code_is_one_units_in_its_shelter_and_a_hosts_home_has_none() -> None:
    room = Unit(unit_id=DORM, places=4, code="room-12")
    again = AddUnit(SHELTER, Unit(unit_id=FAMILY, places=2, code="room-12"), "operator", NOW)
    scenario(shelter).given(opened(room)).when(again).then_raises(UnitCodeTaken, match="room-12")
    other = AddUnit(SHELTER, Unit(unit_id=FAMILY, places=2, code="room-13"), "operator", NOW)
    assert len(scenario(shelter).given(opened(room)).when(other).decided()) == 2
    offer = OfferHostPlace(SHELTER, "hn", "Derkul", room, date(2022, 9, 24),
                           date(2022, 10, 1), "partner:hn", NOW)  # fmt: skip
    scenario(shelter).when(offer).then_raises(DomainError, match="host's home")


def test_a_withdrawn_offer_releases_its_guests() -> None:
    guest = uuid4()
    offer = OfferHostPlace(SHELTER, "hn", "Derkul", Unit(unit_id=DORM, places=3),
                           date(2022, 9, 24), date(2022, 10, 1), "partner:hn", NOW)  # fmt: skip
    made = shelter.decide(offer, shelter.initial_state)
    verified = shelter.decide(VerifyHostOffer(SHELTER, "partner:hn", NOW), shelter.fold(made))
    events = (
        scenario(shelter)
        .given(*made, *verified, held(DORM, 1, guest))
        .when(WithdrawHostOffer(SHELTER, "partner:hn", NOW))
        .decided()
    )
    assert isinstance(events[0], HostOfferWithdrawn)
    assert isinstance(events[1], BedReleased) and events[1].person_id == guest


def test_waitlisting_twice_changes_nothing_and_leaving_twice_neither() -> None:
    person = uuid4()
    command = Waitlist(
        ARRIVAL, (person,), "no_fitting_place", False, False, NOBODY_SPECIAL, "service:housing", NOW
    )
    first = waitlist.decide(command, waitlist.initial_state)
    scenario(waitlist).given(*first).when(command).then()
    leave = LeaveWaitlist(ARRIVAL, person, "placed", "service:housing", NOW)
    left = waitlist.decide(leave, waitlist.fold(first))
    scenario(waitlist).given(*first, *left).when(leave).then()


# --- invariants ----------------------------------------------------------------------------

UNITS = (Unit(unit_id=DORM, places=6), Unit(unit_id=FAMILY, places=3,
         attributes=(UnitAttribute.FAMILY_ROOM,)))  # fmt: skip
PEOPLE = [uuid4() for _ in range(25)]

step = st.one_of(
    st.tuples(st.just("assign"), st.lists(st.sampled_from(PEOPLE), min_size=1, max_size=5)),
    st.tuples(st.just("release"), st.sampled_from(PEOPLE)),
    st.tuples(st.just("check_in"), st.sampled_from(PEOPLE)),
    st.tuples(st.just("capacity"), st.tuples(st.sampled_from([DORM, FAMILY]), st.integers(0, 8))),
    st.tuples(st.just("expire"), st.integers(0, 48)),
)


@settings(max_examples=300, deadline=None)
@hypothesis_given(steps=st.lists(step, max_size=40))
def test_no_unit_is_ever_over_its_places_and_no_person_holds_two(
    steps: list[tuple[str, Any]],
) -> None:
    history: list[DomainEvent] = [opened(*UNITS)]
    for kind, argument in steps:
        state = shelter.fold(history)
        command: ShelterCommand
        if kind == "assign":
            command = assign(*dict.fromkeys(argument))
        elif kind == "release":
            command = Release(SHELTER, argument, "departed", "service:housing", NOW)
        elif kind == "check_in":
            command = CheckIn(SHELTER, argument, "service:housing", NOW)
        elif kind == "capacity":
            unit, places = argument
            command = ChangeCapacity(SHELTER, unit, places, "operator", NOW)
        else:
            command = ExpireHolds(SHELTER, "service:housing", NOW + timedelta(hours=argument))
        try:
            history.extend(shelter.decide(command, state))
        except DomainError:
            continue
        final = shelter.fold(history)
        for unit_id, unit in final.units.items():
            taken = final.taken(unit_id)
            assert len(taken) <= unit.places
            assert all(1 <= number <= unit.places for number in taken)
        people = [place.person_id for place in final.places.values()]
        assert len(people) == len(set(people))


@pytest.mark.parametrize("reason", ["left", "stay_ended"])
def test_staff_check_out_needs_a_checked_in_person(reason: str) -> None:
    person = uuid4()
    scenario(shelter).given(opened(), held(DORM, 1, person)).when(
        CheckOut(SHELTER, person, reason, "operator", NOW)  # type: ignore[arg-type]
    ).then_raises(NotHere)


def test_a_party_without_special_needs_takes_the_plain_unit_and_leaves_the_special_one() -> None:
    plain = Unit(unit_id=DORM, places=12)
    family = Unit(unit_id=FAMILY, places=3,
                  attributes=(UnitAttribute.FAMILY_ROOM, UnitAttribute.ACCESSIBLE))  # fmt: skip
    [single] = scenario(shelter).given(opened(plain, family)).when(assign(uuid4())).decided()
    assert single.unit_id == DORM  # type: ignore[attr-defined]
    needing = Requirements(family_room=True)
    [child] = (
        scenario(shelter)
        .given(opened(plain, family))
        .when(assign(uuid4(), needs=needing))
        .decided()
    )
    assert child.unit_id == FAMILY  # type: ignore[attr-defined]
