from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from uuid import UUID, uuid4

import pytest

from services.intake.domain.arrival import (
    ArrivalDateInFuture,
    DuplicatePersonInArrival,
    RegisterArrival,
    age_band,
    age_on,
    arrival,
)
from shared.schemas.intake import (
    AgeBand,
    ArrivalRegistered,
    ArrivingMember,
    ConsentPurpose,
    Relation,
    Sex,
)
from tests.unit.given import scenario

NOW = datetime(2022, 9, 24, 12, 0, tzinfo=UTC)


def member(person_id: UUID | None = None) -> ArrivingMember:
    return ArrivingMember(
        person_id=person_id or uuid4(),
        age_band=AgeBand.YOUNG_ADULT,
        sex=Sex.MALE,
        relation=Relation.FRIEND,
    )


def register(*members: ArrivingMember, day: date = date(2022, 9, 24)) -> RegisterArrival:
    return RegisterArrival(
        arrival_id=uuid4(),
        partner_id="wp",
        members=members,
        keep_together=True,
        arrival_date=day,
        crossing_point="syrym",
        now=NOW,
    )


def test_an_arrival_is_registered_with_its_members() -> None:
    command = register(member(), member())
    [event] = scenario(arrival).when(command).decided()
    assert event.arrival_id == command.arrival_id  # type: ignore[attr-defined]
    assert event.members == command.members  # type: ignore[attr-defined]
    assert event.keep_together is True  # type: ignore[attr-defined]


def test_an_arrival_says_which_purposes_its_members_agreed_to() -> None:
    command = register(member())
    command = RegisterArrival(**{**command.__dict__, "consents": (ConsentPurpose.AID,)})
    [event] = scenario(arrival).when(command).decided()
    assert event.consents == (ConsentPurpose.AID,)  # type: ignore[attr-defined]
    assert event.agreed_to(ConsentPurpose.AID)  # type: ignore[attr-defined]
    assert not event.agreed_to(ConsentPurpose.HOUSING)  # type: ignore[attr-defined]


def test_a_person_alone_has_no_group_to_keep_together() -> None:
    [event] = scenario(arrival).when(register(member())).decided()
    assert event.keep_together is False  # type: ignore[attr-defined]


def test_registering_the_same_arrival_again_changes_nothing() -> None:
    command = register(member())
    history = scenario(arrival).when(command).decided()
    scenario(arrival).given(*history).when(command).then()


def test_an_arrival_from_the_future_is_refused() -> None:
    # at noon UTC it is already the 25th east of UTC+12, but the 26th nowhere
    scenario(arrival).when(register(member(), day=date(2022, 9, 26))).then_raises(
        ArrivalDateInFuture, match="after today"
    )


def test_an_arrival_of_the_day_is_taken_in_orals_small_hours() -> None:
    # 01:30 in Oral (UTC+5) on the 24th is still the 23rd in UTC
    small_hours = datetime(2022, 9, 23, 20, 30, tzinfo=UTC)
    command = replace(register(member(), day=date(2022, 9, 24)), now=small_hours)
    [registered] = scenario(arrival).when(command).decided()
    assert isinstance(registered, ArrivalRegistered)


def test_one_person_twice_in_an_arrival_is_refused() -> None:
    same = uuid4()
    scenario(arrival).when(register(member(same), member(same))).then_raises(
        DuplicatePersonInArrival
    )


@pytest.mark.parametrize(
    ("age", "band"),
    [
        (0, "0-17"),
        (17, "0-17"),
        (18, "18-29"),
        (29, "18-29"),
        (30, "30-49"),
        (64, "50-64"),
        (65, "65+"),
    ],
)
def test_age_bands_have_sharp_edges(age: int, band: str) -> None:
    assert age_band(age).value == band


def test_age_counts_the_birthday_itself() -> None:
    assert age_on(date(2004, 9, 24), date(2022, 9, 24)) == 18
    assert age_on(date(2004, 9, 25), date(2022, 9, 24)) == 17
