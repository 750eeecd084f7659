"""Housing's read models as folds, given/when/then: what an event does to the rows it touches."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Literal
from uuid import UUID, uuid4

import pytest

from services.housing.events import DepartureBeforeArrival, ShelterDescribed
from services.housing.placement_rows import (
    HISTORY,
    PLACEMENTS,
    HistoryLine,
    PersonAlreadyPlaced,
    Placement,
)
from services.housing.projections import READ_MODELS
from services.housing.shelter_rows import SHELTERS, UNITS, Unit
from shared.folds import Delete, Put
from shared.schemas.housing import (
    BedAssigned,
    HoldExpired,
    HostOfferMade,
    PersonCheckedIn,
    PersonForgotten,
    PersonLeftWaitlist,
    PersonWaitlisted,
    ShelterOpened,
    UnitCapacityChanged,
)
from shared.schemas.shelters import ShelterKind
from shared.schemas.shelters import Unit as UnitSpec
from tests.unit.given_rows import FoldScenario, given

NOW = datetime(2022, 9, 24, 21, 0, tzinfo=UTC)
HOLD = NOW + timedelta(hours=24)
SHELTER, DORM, ARRIVAL = uuid4(), uuid4(), uuid4()
OPENED = ShelterOpened(
    actor="operator",
    occurred_at=NOW,
    shelter_id=SHELTER,
    kind=ShelterKind.CAMP_DORMITORY,
    units=(UnitSpec(unit_id=DORM, places=12),),
)


def held(person: UUID, bed: int = 1) -> BedAssigned:
    return BedAssigned(
        actor="service:housing",
        occurred_at=NOW,
        shelter_id=SHELTER,
        unit_id=DORM,
        bed_number=bed,
        person_id=person,
        arrival_id=ARRIVAL,
        hold_until=HOLD,
    )


def waitlisted(person: UUID) -> PersonWaitlisted:
    return PersonWaitlisted(
        actor="service:housing",
        occurred_at=NOW,
        arrival_id=ARRIVAL,
        person_id=person,
        reason="no_fitting_place",
    )


def checked_in(person: UUID, bed: int = 1) -> PersonCheckedIn:
    return PersonCheckedIn(
        actor="operator",
        occurred_at=NOW,
        shelter_id=SHELTER,
        unit_id=DORM,
        bed_number=bed,
        person_id=person,
    )


def expired(person: UUID, bed: int = 1) -> HoldExpired:
    return HoldExpired(actor="service:housing", occurred_at=NOW, shelter_id=SHELTER, unit_id=DORM,
                       bed_number=bed, person_id=person)  # fmt: skip


def dorm(held: int = 0, occupied: int = 0) -> Unit:
    return Unit(DORM, SHELTER, "", 12, [], [], None, held, occupied)


def test_a_bed_assigned_to_a_person_with_no_row_holds_it_counts_it_and_writes_it_down() -> None:
    person = uuid4()
    changes = given(READ_MODELS, OPENED).when(held(person))
    placement = Placement(person, "held", NOW, "correlation", ARRIVAL, SHELTER, DORM, 1, HOLD)
    line = HistoryLine(person, 2, NOW, "held", SHELTER, DORM, 1, None)
    assert changes == [Put(UNITS, dorm(held=1)), Put(PLACEMENTS, placement), Put(HISTORY, line)]


def test_a_second_place_for_a_person_who_holds_one_is_refused() -> None:
    person = uuid4()
    with pytest.raises(PersonAlreadyPlaced):
        given(READ_MODELS, OPENED, held(person)).when(held(person, bed=2))


def test_a_person_placed_meanwhile_stays_placed_when_waitlisted() -> None:
    person = uuid4()
    line = HistoryLine(person, 4, NOW, "waitlisted", None, None, None, "no_fitting_place")
    given(READ_MODELS, OPENED, held(person), checked_in(person)).then(
        waitlisted(person), Put(HISTORY, line)
    )


def test_a_waiting_person_then_placed_keeps_what_they_waited_with_and_their_first_correlation() -> (
    None
):
    person = uuid4()
    scenario = given(READ_MODELS, OPENED, waitlisted(person))
    [placement] = scenario.rows(PLACEMENTS)
    assert placement.status == "waiting" and placement.since == NOW
    [_, put, _] = scenario.when(held(person))
    assert put == Put(
        PLACEMENTS,
        replace(
            placement,
            status="held",
            shelter_id=SHELTER,
            unit_id=DORM,
            bed_number=1,
            hold_until=HOLD,
            reason=None,
        ),
    )


def test_a_hold_expired_makes_a_no_show_and_gives_the_held_place_back() -> None:
    person = uuid4()
    [unit, placement, line] = given(READ_MODELS, OPENED, held(person)).when(expired(person))
    assert unit == Put(UNITS, dorm(held=0))
    assert isinstance(placement, Put) and placement.row.status == "no_show"
    assert placement.row.unit_id is None and placement.row.reason == "no_show"
    assert line == Put(
        HISTORY, HistoryLine(person, 3, NOW, "hold_expired", SHELTER, DORM, 1, "no_show")
    )


def test_freeing_a_place_the_person_no_longer_holds_changes_their_placement_not() -> None:
    person = uuid4()
    changes = given(READ_MODELS, OPENED, held(person)).when(expired(person, bed=7))
    assert [change.table for change in changes] == [UNITS, HISTORY]


def test_forgetting_a_person_keeps_a_tombstone_and_deletes_their_history() -> None:
    person = uuid4()
    forgotten = PersonForgotten(
        actor="service:housing", occurred_at=NOW, arrival_id=ARRIVAL, person_id=person
    )
    scenario = given(READ_MODELS, OPENED, waitlisted(person), held(person))
    tombstone = Placement(person, "forgotten", NOW, "correlation")
    scenario.then(
        forgotten,
        Put(PLACEMENTS, tombstone),
        Delete(HISTORY, (person, 2, "waitlisted")),
        Delete(HISTORY, (person, 3, "held")),
    )


def test_a_departure_before_arrival_is_kept_only_when_nothing_came_before_it() -> None:
    person = uuid4()
    departed = DepartureBeforeArrival(
        actor="service:housing", occurred_at=NOW, person_id=person, reason="departed"
    )
    row = Placement(person, "departed", NOW, "correlation", reason="departed")
    given(READ_MODELS).then(departed, Put(PLACEMENTS, row))
    given(READ_MODELS, waitlisted(person)).then(departed)


def test_a_shelter_opened_again_changes_nothing_and_a_resize_keeps_the_places_taken() -> None:
    scenario = given(READ_MODELS, OPENED, held(uuid4()))
    scenario.then(OPENED)
    resized = UnitCapacityChanged(
        actor="operator", occurred_at=NOW, shelter_id=SHELTER, unit_id=DORM, places=20
    )
    scenario.then(resized, Put(UNITS, replace(dorm(held=1), places=20)))


def test_a_host_home_is_named_by_its_network_and_its_district_unless_the_operator_names_it() -> (
    None
):
    home, room = uuid4(), uuid4()
    offered = HostOfferMade(
        actor="partner:hosts",
        occurred_at=NOW,
        shelter_id=home,
        partner_id="hosts",
        unit=UnitSpec(unit_id=room, places=2),
        available_from=date(2022, 9, 25),
        available_until=date(2022, 10, 25),
    )
    described = ShelterDescribed(
        actor="partner:hosts", occurred_at=NOW, shelter_id=home, district="Zachagansk"
    )
    [put] = given(READ_MODELS, offered).when(described)
    assert put.table is SHELTERS and isinstance(put, Put)
    assert (put.row.name, put.row.district) == ("Host home (hosts), Zachagansk", "Zachagansk")


def waiting_together(person: UUID) -> PersonWaitlisted:
    return waitlisted(person).model_copy(update={"keep_together": True})


def left(person: UUID, reason: Literal["placed", "departed", "merged"]) -> PersonLeftWaitlist:
    return PersonLeftWaitlist(actor="service:housing", occurred_at=NOW, arrival_id=ARRIVAL,
                              person_id=person, reason=reason)  # fmt: skip


def parties(scenario: FoldScenario) -> dict[UUID, tuple[str, int]]:
    return {row.person_id: (row.status, row.party) for row in scenario.rows(PLACEMENTS)}


def test_the_people_of_a_group_waiting_together_each_count_the_party_as_it_grows_and_shrinks() -> (
    None
):
    first, second, third, alone = uuid4(), uuid4(), uuid4(), uuid4()
    scenario = given(READ_MODELS, OPENED, waiting_together(first), waiting_together(second))
    assert parties(scenario) == {first: ("waiting", 2), second: ("waiting", 2)}

    # the third joins, one waits alone: each change is folded as the live projection folds it
    for event in (waiting_together(third), waitlisted(alone)):
        scenario.tables.apply(scenario.when(event))
    assert parties(scenario) == {
        first: ("waiting", 3),
        second: ("waiting", 3),
        third: ("waiting", 3),
        alone: ("waiting", 1),
    }

    scenario.tables.apply(scenario.when(left(second, "departed")))
    assert parties(scenario)[first] == parties(scenario)[third] == ("waiting", 2)

    # placed from the waitlist: a hold, then leaving it, in one append
    for step in (held(first), left(first, "placed")):
        scenario.tables.apply(scenario.when(step))
    assert parties(scenario)[third] == ("waiting", 1)
    assert parties(scenario)[alone] == ("waiting", 1)
