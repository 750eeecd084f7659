"""The shelter's places kept incrementally (services/housing/domain/beds.py): always what a
fold from scratch gives, old states left whole, and a placement or check-in that does the same
work in a shelter 90 % full as in one 10 % full (counted, not timed)."""

from __future__ import annotations

import sys
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any
from uuid import UUID, uuid4

from hypothesis import given, settings
from hypothesis import strategies as st

import services.housing.domain as housing_domain
from services.housing.domain.beds import Place, PlaceKey
from services.housing.domain.shelter import shelter
from services.housing.domain.shelter_commands import (
    AssignPlaces,
    ChangeCapacity,
    CheckIn,
    CheckOut,
    ExpireHolds,
    Release,
    ShelterCommand,
)
from services.housing.domain.shelter_state import Shelter
from shared.decision import DomainError
from shared.schemas.base import DomainEvent
from shared.schemas.housing import (
    BedAssigned,
    BedReleased,
    HoldExpired,
    PersonCheckedIn,
    PersonCheckedOut,
    ShelterOpened,
)
from shared.schemas.shelters import Requirements, ShelterKind, Unit, UnitAttribute

NOW = datetime(2022, 9, 24, 21, 0, tzinfo=UTC)
SHELTER, ARRIVAL = uuid4(), uuid4()
DORM, FAMILY, HALL = uuid4(), uuid4(), uuid4()
UNITS = (
    Unit(unit_id=DORM, places=6),
    Unit(unit_id=FAMILY, places=3, attributes=(UnitAttribute.FAMILY_ROOM,)),
    Unit(unit_id=HALL, places=9, attributes=(UnitAttribute.ACCESSIBLE,)),
)
PEOPLE = [uuid4() for _ in range(30)]


def opened(*units: Unit) -> ShelterOpened:
    return ShelterOpened(actor="operator", occurred_at=NOW, shelter_id=SHELTER,
                         kind=ShelterKind.CAMP_DORMITORY,
                         units=units)  # fmt: skip


# --- from scratch: the places as a plain dict, folded the simplest way ----------------------


def places_from_scratch(history: list[DomainEvent]) -> dict[PlaceKey, Place]:
    places: dict[PlaceKey, Place] = {}
    for event in history:
        if isinstance(event, BedAssigned):
            places[(event.unit_id, event.bed_number)] = Place(
                event.person_id, event.arrival_id, False, event.hold_until, event.occurred_at
            )
        elif isinstance(event, PersonCheckedIn):
            key = (event.unit_id, event.bed_number)
            before = places[key]
            places[key] = Place(before.person_id, before.arrival_id, True, before.hold_until,
                                event.occurred_at)  # fmt: skip
        elif isinstance(event, PersonCheckedOut | BedReleased | HoldExpired):
            places.pop((event.unit_id, event.bed_number), None)
    return places


def view(state: Shelter) -> dict[str, Any]:
    """Everything the decider reads of the places, through the incremental structures."""
    return {
        "places": list(state.places.items()),
        "by_person": dict(state.beds.by_person.items()),
        "taken": {unit: state.taken(unit) for unit in state.units},
        "free": {unit: state.free_numbers(unit) for unit in state.units},
        "free_count": {unit: state.beds.free_count(unit, u.places)
                       for unit, u in state.units.items()},
        "place_of": {person: state.place_of(person) for person in PEOPLE},
    }  # fmt: skip


def view_from_scratch(state: Shelter, places: dict[PlaceKey, Place]) -> dict[str, Any]:
    taken = {unit: sorted(n for (u, n) in places if u == unit) for unit in state.units}
    free = {unit: [n for n in range(1, u.places + 1) if n not in taken[unit]]
            for unit, u in state.units.items()}  # fmt: skip
    return {
        "places": list(places.items()),
        "by_person": {place.person_id: key for key, place in places.items()},
        "taken": taken,
        "free": free,
        "free_count": {unit: len(numbers) for unit, numbers in free.items()},
        "place_of": {
            person: next(((k, p) for k, p in places.items() if p.person_id == person), None)
            for person in PEOPLE
        },
    }


needs = st.builds(Requirements, accessible=st.booleans(), family_room=st.booleans())
step = st.one_of(
    st.tuples(st.just("assign"),
              st.tuples(st.lists(st.sampled_from(PEOPLE), min_size=1, max_size=8), needs)),
    st.tuples(st.just("release"), st.sampled_from(PEOPLE)),
    st.tuples(st.just("check_in"), st.sampled_from(PEOPLE)),
    st.tuples(st.just("check_out"), st.sampled_from(PEOPLE)),
    st.tuples(st.just("capacity"), st.tuples(st.sampled_from([DORM, FAMILY, HALL]),
                                             st.integers(0, 12))),
    st.tuples(st.just("expire"), st.integers(0, 48)),
)  # fmt: skip


def command_of(kind: str, argument: Any) -> ShelterCommand:
    if kind == "assign":
        people, requirements = argument
        return AssignPlaces(SHELTER, ARRIVAL, tuple(dict.fromkeys(people)), requirements,
                            NOW + timedelta(hours=len(people) * 5), "service:housing",
                            NOW)  # fmt: skip
    if kind == "release":
        return Release(SHELTER, argument, "departed", "service:housing", NOW)
    if kind == "check_in":
        return CheckIn(SHELTER, argument, "service:housing", NOW)
    if kind == "check_out":
        return CheckOut(SHELTER, argument, "left", "service:housing", NOW)
    if kind == "capacity":
        unit, places = argument
        return ChangeCapacity(SHELTER, unit, places, "operator", NOW)
    return ExpireHolds(SHELTER, "service:housing", NOW + timedelta(hours=argument))


@settings(max_examples=300, deadline=None)
@given(steps=st.lists(step, max_size=50))
def test_the_incremental_places_always_equal_the_places_folded_from_scratch(
    steps: list[tuple[str, Any]],
) -> None:
    history: list[DomainEvent] = [opened(*UNITS)]
    state = shelter.fold(history)
    for kind, argument in steps:
        before, seen_before = state, view(state)
        try:
            events = shelter.decide(command_of(kind, argument), state)
        except DomainError:
            continue
        for event in events:  # evolved on, as housing does from a cached state
            state = shelter.evolve(state, event)
        history.extend(events)
        assert view(state) == view_from_scratch(state, places_from_scratch(history))
        assert view(before) == seen_before  # the state before is left whole


# --- the work of one command does not grow with occupancy -----------------------------------

DOMAIN_DIR = str(Path(housing_domain.__file__).parent)


@contextmanager
def lines_run(counter: list[int]) -> Iterator[None]:
    """Counts the lines of housing's domain code run: a loop over places runs one per place."""

    def trace(frame: FrameType, event: str, arg: object) -> Any:
        if not frame.f_code.co_filename.startswith(DOMAIN_DIR):
            return None
        if event == "line":
            counter[0] += 1
        return trace

    previous = sys.gettrace()
    sys.settrace(trace)
    try:
        yield
    finally:
        sys.settrace(previous)


def filled(units: tuple[Unit, ...], people: int) -> tuple[Shelter, list[UUID]]:
    state = shelter.fold([opened(*units)])
    held = []
    for _ in range(people):
        person = uuid4()
        for event in shelter.decide(one_person(person), state):
            state = shelter.evolve(state, event)
        held.append(person)
    return state, held


def one_person(person: UUID) -> AssignPlaces:
    return AssignPlaces(SHELTER, uuid4(), (person,), Requirements(), NOW + timedelta(days=1),
                        "service:housing", NOW)  # fmt: skip


def work_of(state: Shelter, command: ShelterCommand) -> tuple[int, int]:
    """(lines of domain code run, peak bytes allocated by Python) for decide + evolve."""
    counter = [0]
    tracemalloc.start()
    try:
        with lines_run(counter):
            for event in shelter.decide(command, state):
                state = shelter.evolve(state, event)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return counter[0], peak


HALL_OF_2000 = (Unit(unit_id=HALL, places=2000),)


def compare(command: Callable[[list[UUID]], ShelterCommand]) -> None:
    (empty, empty_held), (full, full_held) = filled(HALL_OF_2000, 200), filled(HALL_OF_2000, 1800)
    work_of(empty, command(empty_held))  # first calls warm caches (imports, pydantic)
    lines_empty, bytes_empty = work_of(empty, command(empty_held))
    lines_full, bytes_full = work_of(full, command(full_held))
    assert lines_full == lines_empty
    # a copy of the places, or a set of the people housed, would allocate per place: 1,800
    # places cost tens of kilobytes more than 200
    assert bytes_full < bytes_empty + 4096, (bytes_empty, bytes_full)


def test_a_placement_in_a_2000_place_hall_does_the_same_work_90_as_10_percent_full() -> None:
    compare(lambda held: one_person(uuid4()))


def test_a_check_in_in_a_2000_place_hall_does_the_same_work_90_as_10_percent_full() -> None:
    compare(lambda held: CheckIn(SHELTER, held[len(held) // 2], "operator", NOW))
