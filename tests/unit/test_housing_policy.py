"""Housing's placement policy, given/when/then: which shelters are asked first, the waitlist's
order and parties, whom an arrival places, what a departure does. Pure functions over plain
facts, so no database: the named queries of services/housing/queries.py feed them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

from hypothesis import given as hypothesis_given
from hypothesis import settings
from hypothesis import strategies as st

from services.housing.domain.departure import RememberDeparture, departure
from services.housing.domain.fit import offers_what_is_needed, unneeded_features
from services.housing.domain.person import (
    NOT_PLACED_ON_ARRIVAL,
    NOT_PLACED_ON_CONSENT,
    all_still_waiting,
    may_move,
    on_leaving,
    parties,
    to_place,
    waitlist_reason,
)
from services.housing.domain.ranking import (
    Ranking,
    UnitsOnOffer,
    WhatFits,
    rank_shelters,
    what_fits,
)
from services.housing.domain.waitlist_order import (
    WaitingPerson,
    first_parties,
    position_on_waitlist,
    waiting_parties,
    waitlist_order,
)
from services.housing.events import DepartureBeforeArrival
from shared.schemas.intake import AgeBand, ArrivingMember, Relation, Sex
from shared.schemas.shelters import Requirements, UnitAttribute
from tests.unit.given import scenario

NOW = datetime(2022, 9, 24, 21, 0, tzinfo=UTC)
TODAY = NOW.date()
PLAIN = Requirements()
WOMEN = Requirements(all_women=True)
KINDS_OF_PARTY = [PLAIN, WOMEN, Requirements(accessible=True), Requirements(family_room=True)]
ACCESSIBLE = frozenset({UnitAttribute.ACCESSIBLE})
FAMILY = frozenset({UnitAttribute.FAMILY_ROOM})
WOMEN_ONLY = frozenset({UnitAttribute.WOMEN_ONLY})


def unit(
    shelter: UUID,
    free: int,
    attributes: frozenset[UnitAttribute] = frozenset(),
    status: str = "open",
    period: tuple[date, date] | None = None,
) -> UnitsOnOffer:
    """One unit of its kind with ``free`` places."""
    return UnitsOnOffer(shelter, status, period, free, free, attributes)


def shelters() -> list[UUID]:
    return sorted(uuid4() for _ in range(3))


# which shelters are asked first


def test_a_shelter_with_one_unit_for_the_whole_party_is_asked_before_one_that_would_spread_it() -> (
    None
):
    spread, whole = shelters()[:2]
    two_rooms_of_two = UnitsOnOffer(spread, "open", None, 4, 2, frozenset())
    units = [two_rooms_of_two, unit(whole, 4)]
    assert rank_shelters(units, 4, PLAIN, TODAY, 10) == [whole, spread]


def test_the_plainest_shelter_is_asked_first_so_special_rooms_stay_for_those_who_need_them() -> (
    None
):
    special, plain = shelters()[:2]
    units = [unit(special, 9, ACCESSIBLE), unit(plain, 9)]
    assert rank_shelters(units, 1, PLAIN, TODAY, 10) == [plain, special]
    # who needs the accessible room is offered only that shelter
    assert rank_shelters(units, 1, Requirements(accessible=True), TODAY, 10) == [special]


def test_among_equally_plain_shelters_the_fullest_is_asked_first() -> None:
    emptier, fuller = shelters()[:2]
    assert rank_shelters([unit(emptier, 30), unit(fuller, 3)], 2, PLAIN, TODAY, 10) == [
        fuller,
        emptier,
    ]


def test_a_shelter_that_takes_nobody_today_or_has_too_few_fitting_places_is_not_asked() -> None:
    closed, host, small, women = [*shelters(), uuid4()]
    yesterday = (TODAY - timedelta(days=9), TODAY - timedelta(days=1))
    units = [
        unit(closed, 9, status="closed"),
        unit(host, 9, period=yesterday),
        unit(small, 1),
        unit(women, 9, WOMEN_ONLY),
    ]
    assert rank_shelters(units, 2, PLAIN, TODAY, 10) == []
    assert rank_shelters(units, 2, Requirements(all_women=True), TODAY, 10) == [women]


def test_no_more_shelters_are_asked_than_the_limit() -> None:
    many = [unit(uuid4(), 5) for _ in range(20)]
    assert len(rank_shelters(many, 1, PLAIN, TODAY, 10)) == 10


needs_st = st.builds(Requirements, accessible=st.booleans(), family_room=st.booleans(),
                     all_women=st.booleans())  # fmt: skip
attributes_st = st.frozensets(st.sampled_from(list(UnitAttribute)), max_size=3)
few_shelters = [UUID(int=n) for n in range(1, 5)]
units_st = st.lists(
    st.builds(unit, st.sampled_from(few_shelters), st.integers(-2, 6), attributes_st,
              st.sampled_from(["open", "closed", "offered"])),
    max_size=12,
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@hypothesis_given(units=units_st, size=st.integers(1, 8), needs=needs_st)
def test_every_shelter_asked_has_the_fitting_free_places_and_none_that_has_them_is_left_out(
    units: list[UnitsOnOffer], size: int, needs: Requirements
) -> None:
    def fitting_free(shelter: UUID) -> int:
        return sum(
            u.free
            for u in units
            if u.shelter_id == shelter and u.shelter_status == "open" and u.free > 0
            and offers_what_is_needed(u.attributes, needs)
        )  # fmt: skip

    ranked = rank_shelters(units, size, needs, TODAY, 10)
    assert len(set(ranked)) == len(ranked)
    assert {s for s in few_shelters if fitting_free(s) >= size} == set(ranked)


many_shelters = [UUID(int=n) for n in range(1, 16)]
town_st = st.lists(
    st.builds(UnitsOnOffer, st.sampled_from(many_shelters), st.just("open"), st.none(),
              st.integers(1, 9), st.integers(1, 4), attributes_st),
    max_size=40,
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@hypothesis_given(units=town_st, size=st.integers(1, 6), needs=needs_st)
def test_the_shelters_asked_are_the_first_of_all_fitting_ones_in_the_order_of_the_policy(
    units: list[UnitsOnOffer], size: int, needs: Requirements
) -> None:
    # the whole order spelled out and sorted in full: one unit for the whole party, then the
    # plainest, then the fullest, then the shelter's id; the ranking gives its first five
    fitting = [u for u in units if offers_what_is_needed(u.attributes, needs)]

    def order(shelter: UUID) -> tuple[bool, int, int, UUID]:
        offers = [u for u in fitting if u.shelter_id == shelter]
        return (
            not any(u.most_in_one_unit >= size for u in offers),
            min(unneeded_features(u.attributes, needs) for u in offers),
            sum(u.free for u in offers),
            shelter,
        )

    roomy = {u.shelter_id for u in fitting
             if sum(o.free for o in fitting if o.shelter_id == u.shelter_id) >= size}  # fmt: skip
    assert rank_shelters(units, size, needs, TODAY, 5) == sorted(roomy, key=order)[:5]


def test_a_shelter_decided_on_moves_in_a_kept_ranking_and_is_not_asked_for_places_it_lost() -> None:
    fuller, emptier = shelters()[:2]
    kept = Ranking([unit(fuller, 5), unit(emptier, 7)], TODAY)
    assert kept.best(3, PLAIN, 10) == kept.best(3, PLAIN, 10) == [fuller, emptier]  # now sorted
    kept.replace(fuller, [unit(fuller, 1)])  # a party of four took four of its five
    assert kept.best(3, PLAIN, 10) == [emptier]
    assert kept.best(1, PLAIN, 10) == [fuller, emptier]
    kept.replace(emptier, [])  # full
    assert kept.best(1, PLAIN, 10) == [fuller]


#: offers of every sort: closed, a host's home offered on other days, none free
offers_st = st.lists(
    st.builds(UnitsOnOffer, st.sampled_from(many_shelters),
              st.sampled_from(["open", "open", "open", "closed"]),
              st.sampled_from([None, None, (TODAY, TODAY), (TODAY + timedelta(days=1),) * 2]),
              st.integers(-1, 9), st.integers(1, 4), attributes_st),
    max_size=40,
)  # fmt: skip
#: a run's steps: a party ranked (its size and needs), or a shelter's free units replaced (as
#: a placement in it leaves them)
steps_st = st.lists(
    st.one_of(
        # four kinds of party of the eight (each need, and none), so that most are ranked on a
        # kept ranking
        st.tuples(st.just("rank"), st.integers(1, 6), st.sampled_from(KINDS_OF_PARTY)),
        st.tuples(st.just("replace"), st.sampled_from(many_shelters), offers_st),
    ),
    max_size=30,
)


@settings(max_examples=400, deadline=None)
@hypothesis_given(units=offers_st, steps=steps_st)
def test_a_ranking_kept_across_a_runs_placements_ranks_as_one_made_afresh_from_the_offers_left(
    units: list[UnitsOnOffer], steps: list[tuple[object, ...]]
) -> None:
    # the keys a run keeps per kind of party, sorted from its second party of that kind on and
    # moved shelter by shelter, against the one-pass ranking of every offer left, made for
    # that party alone (whose order the test above spells out)
    kept = Ranking(units, TODAY)
    for step in steps:
        if step[0] == "rank":
            _, size, needs = step
            assert isinstance(size, int) and isinstance(needs, Requirements)
            # the first three (a walk that stops early) and every one (nothing stale or lost)
            for limit in (3, len(many_shelters)):
                fresh = rank_shelters(kept.offers, size, needs, TODAY, limit)
                assert kept.best(size, needs, limit) == fresh
        else:
            _, shelter, offers = step
            assert isinstance(shelter, UUID) and isinstance(offers, list)
            kept.replace(shelter, [replace(u, shelter_id=shelter) for u in offers[:3]])


# the waitlist


def waiting(
    arrival: UUID,
    since: datetime = NOW,
    priority: bool = False,
    keep_together: bool = False,
    accessible: bool = False,
    women: bool = False,
) -> WaitingPerson:
    return WaitingPerson(uuid4(), arrival, since, priority, keep_together, "no place",
                         accessible, False, women)  # fmt: skip


def test_the_vulnerable_wait_first_and_then_who_came_first() -> None:
    early = waiting(uuid4(), since=NOW - timedelta(hours=5))
    late_but_vulnerable = waiting(uuid4(), priority=True)
    later = waiting(uuid4(), since=NOW + timedelta(hours=1))
    assert waitlist_order([later, early, late_but_vulnerable]) == [
        late_but_vulnerable,
        early,
        later,
    ]
    assert position_on_waitlist(early.person_id, [later, early, late_but_vulnerable]) == 2
    assert position_on_waitlist(uuid4(), [later, early]) is None


def test_a_group_that_keeps_together_is_offered_places_as_one_party_with_the_needs_of_all() -> None:
    family = uuid4()
    mother = waiting(family, keep_together=True, women=True)
    son = waiting(family, since=NOW - timedelta(minutes=1), keep_together=True, accessible=True)
    [party] = waiting_parties([mother, son])
    assert party.arrival_id == family
    assert party.person_ids == tuple(sorted([mother.person_id, son.person_id]))
    assert party.since == son.since
    assert party.requirements == Requirements(accessible=True, all_women=False)


def test_people_of_one_arrival_who_do_not_keep_together_are_offered_places_alone() -> None:
    arrival, other = uuid4(), uuid4()
    first, second = waiting(arrival), waiting(arrival)
    urgent = waiting(other, since=NOW + timedelta(hours=2), priority=True)
    offered = waiting_parties([first, second, urgent])
    assert offered[0].person_ids == (urgent.person_id,)
    assert sorted(len(party.person_ids) for party in offered) == [1, 1, 1]


# whom an arrival places, and what a departure does


def member(sex: Sex = Sex.MALE) -> ArrivingMember:
    return ArrivingMember(person_id=uuid4(), age_band=AgeBand.ADULT, sex=sex,
                          relation=Relation.SELF)  # fmt: skip


def test_an_arrival_places_nobody_who_holds_a_place_waits_departed_or_was_erased() -> None:
    housed, waits, gone, erased, forgotten, new = (member() for _ in range(6))
    status_of = {housed.person_id: "held", waits.person_id: "waiting",
                 gone.person_id: "departed", forgotten.person_id: "forgotten"}  # fmt: skip
    everyone = [housed, waits, gone, erased, forgotten, new]
    placed = to_place(everyone, status_of, {erased.person_id}, NOT_PLACED_ON_ARRIVAL)
    assert placed == [new]
    # a forgotten person who consents again is placed; one who departed is not
    again = to_place([forgotten, gone], status_of, set(), NOT_PLACED_ON_CONSENT)
    assert again == [forgotten]


def test_a_group_that_keeps_together_is_one_party_and_others_each_their_own() -> None:
    one, two = member(), member(Sex.FEMALE)
    assert parties([one, two], keep_together=True) == [(one, two)]
    assert parties([one, two], keep_together=False) == [(one,), (two,)]
    assert parties([], keep_together=True) == []
    assert waitlist_reason(2) == "no_places_together"
    assert waitlist_reason(1) == "no_fitting_place"


def test_a_departure_frees_a_place_leaves_the_waitlist_or_is_remembered_for_the_arrival() -> None:
    assert on_leaving(None, "departed") == "remember_departure"
    assert on_leaving(None, "merged") == "remember_departure"
    assert on_leaving("held", "departed") == "free_place"
    assert on_leaving("checked_in", "merged") == "free_place"
    assert on_leaving("waiting", "departed") == "leave_waitlist"
    assert on_leaving("checked_out", "departed") == "nothing"
    assert on_leaving("waiting", "moved") == "nothing"
    assert may_move("checked_in") and not may_move("waiting") and not may_move(None)


def test_a_party_still_waits_only_while_every_one_of_them_waits() -> None:
    one, two = uuid4(), uuid4()
    assert all_still_waiting((one, two), {one: "waiting", two: "waiting"})
    assert not all_still_waiting((one, two), {one: "waiting", two: "held"})
    assert not all_still_waiting((one, two), {one: "waiting"})


def test_a_departure_before_the_arrival_is_remembered_once() -> None:
    person = uuid4()
    remember = RememberDeparture(person, "departed", "service:housing", NOW)
    remembered = DepartureBeforeArrival(actor="service:housing", occurred_at=NOW,
                                        person_id=person, reason="departed")  # fmt: skip
    scenario(departure).when(remember).then(remembered)
    scenario(departure).given(remembered).when(remember).then()


few_arrivals = [UUID(int=n) for n in range(1, 4)]
waiting_st = st.lists(
    st.builds(waiting, st.sampled_from(few_arrivals),
              st.sampled_from([NOW, NOW + timedelta(hours=1)]), st.booleans(), st.booleans()),
    max_size=10,
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@hypothesis_given(people=waiting_st)
def test_everyone_waiting_is_in_exactly_one_party_and_the_more_urgent_parties_come_first(
    people: list[WaitingPerson],
) -> None:
    offered = waiting_parties(people)
    in_parties = [person for party in offered for person in party.person_ids]
    assert sorted(in_parties) == sorted(person.person_id for person in people)
    urgency = [(not party.priority, party.since) for party in offered]
    assert urgency == sorted(urgency)
    for party in offered:  # only people of one arrival who keep together share a party
        members = [person for person in people if person.person_id in party.person_ids]
        assert {person.arrival_id for person in members} == {party.arrival_id}
        assert len(members) == 1 or all(person.keep_together for person in members)


def arrivals_waitlisted_at_once(
    shapes: list[tuple[int, int, bool, bool]],
) -> list[WaitingPerson]:
    """People waitlisted arrival by arrival, each arrival at once: (size, hour, priority,
    keep together) per arrival."""
    people = []
    for size, hour, priority, together in shapes:
        arrival, since = uuid4(), NOW + timedelta(hours=hour)
        people += [waiting(arrival, since, priority, together) for _ in range(size)]
    return people


arrivals_st = st.lists(
    st.tuples(st.integers(1, 4), st.integers(0, 2), st.booleans(), st.booleans()), max_size=12
)


@settings(max_examples=300, deadline=None)
@hypothesis_given(shapes=arrivals_st, data=st.data())
def test_the_parties_of_the_people_at_the_head_of_the_waitlist_are_its_first_parties(
    shapes: list[tuple[int, int, bool, bool]], data: st.DataObject
) -> None:
    people = arrivals_waitlisted_at_once(shapes)
    ordered = waitlist_order(people)
    head = ordered[: data.draw(st.integers(0, len(ordered)), label="head")]
    groups = {person.arrival_id for person in head if person.keep_together}
    together = [p for p in people if p.keep_together and p.arrival_id in groups]

    found = first_parties(head, together)

    assert found == waiting_parties(people)[: len(found)]
    assert {person.person_id for person in head} <= {p for party in found for p in party.person_ids}


_ATTRIBUTES = st.frozensets(st.sampled_from(list(UnitAttribute)))
_OFFERS = st.lists(
    st.builds(
        unit, st.sampled_from([uuid4() for _ in range(3)]), st.integers(0, 4), _ATTRIBUTES,
        st.sampled_from(["open", "closed"]),
    ),
    max_size=5,
)  # fmt: skip
_NEEDS = st.builds(Requirements, accessible=st.booleans(), family_room=st.booleans(),
                   all_women=st.booleans())  # fmt: skip


@settings(max_examples=300, deadline=None)
@hypothesis_given(offers=_OFFERS, size=st.integers(1, 6), needs=_NEEDS)
def test_the_waitlist_read_passes_over_no_party_that_would_fit_what_is_on_offer(
    offers: list[UnitsOnOffer], size: int, needs: Requirements
) -> None:
    # the read of the waitlist's head passes over, in Postgres, whoever WhatFits rules out: a
    # party that the ranking would place must never be one of them
    fits = what_fits(offers, TODAY)
    admitted = (
        size <= fits.people
        and (fits.accessible or not needs.accessible)
        and (fits.family_room or not needs.family_room)
        and (fits.men or needs.all_women)
    )
    assert admitted or not rank_shelters(offers, size, needs, TODAY, 1)


def test_what_fits_a_plain_room_rules_out_who_needs_a_special_one() -> None:
    fits = what_fits([unit(uuid4(), 2), unit(uuid4(), 3, status="closed")], TODAY)
    assert fits == WhatFits(people=2, accessible=False, family_room=False, men=True)
    women_only = what_fits([unit(uuid4(), 1, WOMEN_ONLY | {UnitAttribute.ACCESSIBLE})], TODAY)
    assert women_only == WhatFits(people=1, accessible=True, family_room=False, men=False)
