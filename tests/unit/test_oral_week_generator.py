"""The Oral week's generator: reproducible, within its stated bounds, and every arrival one that
intake's API would accept."""

from __future__ import annotations

import inspect
import json
from collections import Counter
from itertools import islice

import pytest

from benchmarks.oral_week.generator import (
    ARRIVAL_CURVE,
    DAYS,
    LEAVE_AFTER_DAYS,
    MAX_GROUP,
    PARTNERS,
    OralWeek,
    PlannedArrival,
)
from services.housing.api.shelters import HostOfferRequest, OpenShelterRequest
from services.intake.requests import ArrivalRequest, BatchRequest

PEOPLE = 3000


@pytest.fixture(scope="module")
def week() -> OralWeek:
    return OralWeek(PEOPLE, seed=2022)


@pytest.fixture(scope="module")
def arrivals(week: OralWeek) -> list[PlannedArrival]:
    return [arrival for day in range(DAYS) for arrival in week.arrivals(day)]


def _fingerprint(week: OralWeek) -> str:
    plans = [(s.key, s.body) for s in week.shelters()]
    days = [(d.day, [x.body for x in d.donations], [x.body for x in d.offers]) for d in week.days()]
    people = [
        (a.key, a.partner, a.body, repr(a.fates)) for d in range(DAYS) for a in week.arrivals(d)
    ]
    return json.dumps([plans, days, people], ensure_ascii=False, default=str, sort_keys=True)


def test_the_same_seed_gives_the_same_week_and_another_seed_another() -> None:
    assert _fingerprint(OralWeek(500, seed=7)) == _fingerprint(OralWeek(500, seed=7))
    assert _fingerprint(OralWeek(500, seed=7)) != _fingerprint(OralWeek(500, seed=8))


def test_every_planned_person_arrives_on_the_planned_day(
    week: OralWeek, arrivals: list[PlannedArrival]
) -> None:
    by_day: Counter[int] = Counter()
    for arrival in arrivals:
        by_day[arrival.day] += arrival.people
        assert arrival.body["arrival_date"] == f"2022-09-{21 + arrival.day}"
    assert [by_day[day] for day in range(DAYS)] == week.people_per_day
    assert sum(week.people_per_day) == PEOPLE


def test_the_surge_peaks_mid_week(week: OralWeek) -> None:
    peak = week.people_per_day.index(max(week.people_per_day))
    assert 2 <= peak <= 4
    assert week.people_per_day[0] < week.people_per_day[peak] / 3
    assert ARRIVAL_CURVE.index(max(ARRIVAL_CURVE)) == peak


def test_groups_are_1_to_12_mostly_people_alone(arrivals: list[PlannedArrival]) -> None:
    sizes = Counter(arrival.people for arrival in arrivals)
    assert min(sizes) >= 1 and max(sizes) <= MAX_GROUP
    assert sizes[1] / len(arrivals) > 0.5  # mostly alone
    assert sizes[2] > 0 and any(sizes[n] for n in range(7, MAX_GROUP + 1))
    kinds = Counter(arrival.kind for arrival in arrivals)
    assert set(kinds) == {"alone", "couple", "friends", "family"}


def test_people_alone_are_mostly_men_of_conscription_age(arrivals: list[PlannedArrival]) -> None:
    alone = [a.body["members"][0] for a in arrivals if a.kind == "alone"]
    men = [m for m in alone if m["sex"] == "male"]
    assert len(men) / len(alone) > 0.8
    young = [m for m in men if m.get("age", 2022 - int(m.get("birth_date", "1990")[:4])) <= 41]
    assert len(young) / len(men) > 0.8


def test_a_share_has_only_the_internal_passport_and_children_a_birth_certificate(
    arrivals: list[PlannedArrival],
) -> None:
    members = [m for a in arrivals for m in a.body["members"]]
    adults = [m for m in members if m["relation"] != "child"]
    internal_only = [
        m for m in adults if [d["type"] for d in m["documents"]] == ["russian_internal_passport"]
    ]
    assert 0.2 < len(internal_only) / len(adults) < 0.45
    children = [m for m in members if m["relation"] == "child"]
    assert children and all(m["documents"][0]["type"] == "birth_certificate" for m in children)
    assert all("family_with_children" in m["needs"] for m in children)
    numbers = [d["number"] for m in members for d in m["documents"] if "number" in d]
    assert len(set(numbers)) > 0.99 * len(numbers)  # duplicates are rare, as in life


def test_every_arrival_is_valid_for_intake_and_fits_a_batch(arrivals: list[PlannedArrival]) -> None:
    for arrival in arrivals:
        ArrivalRequest.model_validate(arrival.body)
    batch = [{"idempotency_key": a.key, "arrival": a.body} for a in arrivals[:1000]]
    BatchRequest.model_validate({"items": batch})
    assert len({a.key for a in arrivals}) == len(arrivals)
    assert {a.partner for a in arrivals} == set(PARTNERS)


def test_departures_come_1_to_5_days_after_arrival_with_onward_travel_for_some(
    arrivals: list[PlannedArrival],
) -> None:
    fates = [fate for a in arrivals for fate in a.fates]
    leaving = [f for f in fates if f.leaves_after_days is not None]
    assert 0.3 < len(leaving) / len(fates) < 0.5
    low, high = LEAVE_AFTER_DAYS
    assert all(low <= (f.leaves_after_days or 0) <= high for f in leaving)
    assert any(f.onward for f in leaving) and any(f.job_search for f in fates)
    assert all(f.departure_reason is not None for f in leaving)
    for arrival in arrivals:
        for fate in arrival.fates:
            stay = fate.leaves_after_days or DAYS
            # no counter visit after leaving, nor after the week
            assert all(c.after_days < stay and arrival.day + c.after_days < DAYS
                       for c in fate.counters)  # fmt: skip


def test_shelters_are_valid_and_hold_fewer_places_than_the_peak(week: OralWeek) -> None:
    kinds: Counter[str] = Counter()
    for plan in week.shelters():
        if plan.host_offer:
            HostOfferRequest.model_validate(plan.body)
            kinds["host_home"] += 1
        else:
            OpenShelterRequest.model_validate(plan.body)
            kinds[plan.body["kind"]] += 1
    assert {"camp_dormitory", "hotel", "hostel", "mosque", "church", "gym", "cinema",
            "rented_room", "host_home"} <= set(kinds)  # fmt: skip
    camp = [s for s in week.shelters() if s.body.get("kind") == "camp_dormitory"]
    assert all(unit["places"] == 12 for s in camp for unit in s.body["units"])
    peak = max(week.expected_in_town(day) for day in range(DAYS))
    assert week.capacity() < 0.5 * peak  # a waitlist forms


@pytest.mark.parametrize("people", [2_000, 10_000, 100_000])
def test_a_smaller_week_is_a_miniature_of_the_full_one(people: int) -> None:
    """Places and donations per person stay within a band of the full week's."""
    full, small = OralWeek(100_000, seed=1), OralWeek(people, seed=1)
    assert small.capacity() / people == pytest.approx(full.capacity() / 100_000, rel=0.3)

    def donated(week: OralWeek) -> int:
        return sum(d.body["quantity"] for day in range(DAYS) for d in week.donations(day))

    assert donated(small) / people == pytest.approx(donated(full) / 100_000, rel=0.05)


def test_arrivals_stream_without_generating_the_whole_day() -> None:
    """The first arrival of the full week's busiest day comes without the other 22,000."""
    week = OralWeek(100_000, seed=2022)
    assert inspect.isgenerator(week.arrivals(3))  # produced as consumed, never a list
    first = list(islice(week.arrivals(3), 3))
    assert [a.key for a in first] == ["oral-2022-d3-000000", "oral-2022-d3-000001",
                                      "oral-2022-d3-000002"]  # fmt: skip
