"""The demo's town: a few of Oral's shelters and a few dozen arrivals of late September 2022.

All names are invented. The mix follows what was reported: young professionals in groups of
friends or as couples, some families, people alone.
"""

from __future__ import annotations

from typing import Any

SHELTERS: list[dict[str, Any]] = [
    # the codes are what is posted at the door; volunteers' phones show them (housing
    # publishes no names). The volunteer's home has none: it is shown by its id
    {
        "name": "Atameken summer camp, dormitory 1",
        "code": "atameken-1",
        "kind": "camp_dormitory",
        "district": "Zachagansk",
        "units": [{"name": "dormitory 1", "code": "dorm-1", "places": 12}],
    },
    {
        "name": "Atameken summer camp, dormitory 2",
        "code": "atameken-2",
        "kind": "camp_dormitory",
        "district": "Zachagansk",
        "units": [{"name": "dormitory 2", "code": "dorm-2", "places": 12}],
    },
    {
        "name": "Hotel on Dostyk avenue",
        "code": "hotel-dostyk",
        "kind": "hotel",
        "district": "Centre",
        "units": [{"name": "rooms", "code": "rooms", "places": 4}],
    },
    {
        "name": "Volunteer's home",
        "kind": "host_home",
        "district": "Derkul",
        "units": [{"name": "home", "places": 3, "attributes": ["family_room", "children_allowed"]}],
    },
]

_GIVEN = [
    "Алексей",
    "Дмитрий",
    "Иван",
    "Максим",
    "Сергей",
    "Артём",
    "Никита",
    "Егор",
    "Павел",
    "Кирилл",
    "Андрей",
    "Михаил",
    "Роман",
    "Олег",
    "Глеб",
]
_FAMILY = [
    "Иванов",
    "Смирнов",
    "Кузнецов",
    "Попов",
    "Васильев",
    "Петров",
    "Соколов",
    "Михайлов",
    "Новиков",
    "Фёдоров",
    "Морозов",
    "Волков",
    "Алексеев",
    "Лебедев",
]
_PROFESSIONS = ["developer", "lawyer", "blogger", "bar manager", "student", "designer"]


def _person(index: int, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "given_name": _GIVEN[index % len(_GIVEN)],
        "family_name": _FAMILY[(index * 7) % len(_FAMILY)],
        "age": 22 + (index * 5) % 19,
        "sex": "male",
        "languages": ["ru", "en"] if index % 3 == 0 else ["ru"],
    }
    body.update(extra)
    return body


def arrivals() -> list[dict[str, Any]]:
    """About forty people in twenty-odd arrivals, more than the beds above."""
    result: list[dict[str, Any]] = []

    def add(members: list[dict[str, Any]], keep_together: bool = True) -> None:
        day = "2022-09-2" + str(2 + len(result) % 6)
        result.append(
            {
                "arrival_date": day,
                "crossing_point": "syrym",
                "keep_together": keep_together,
                "members": members,
            }
        )

    # a group of seven friends from one IT company, who want to stay together
    add([_person(i, relation="friend" if i else "self") for i in range(7)])
    for i in range(10, 20):  # people alone
        add([_person(i, documents=[{"type": "russian_internal_passport"}])])
    for i in range(20, 26, 2):  # couples who married the day before leaving
        add([_person(i), _person(i + 1, sex="female", relation="spouse")])
    add(
        [
            _person(30),
            _person(31, sex="female", relation="spouse"),
            _person(32, age=6, relation="child", needs=["family_with_children"]),
        ]
    )
    # friends of three who do not mind being split
    add([_person(40 + i, relation="friend") for i in range(3)], keep_together=False)
    for i in range(50, 56):  # late in the evening, the camp is full
        add([_person(i)])
    return result
