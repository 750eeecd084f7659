"""Request bodies a partner would send."""

from __future__ import annotations

from typing import Any


def person(given: str = "Алексей", family: str = "Смирнов", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "given_name": given,
        "family_name": family,
        "birth_date": "1994-03-02",
        "sex": "male",
        "languages": ["ru"],
    }
    body.update(extra)
    return body


def arrival(*members: dict[str, Any], keep_together: bool = True) -> dict[str, Any]:
    return {
        "arrival_date": "2022-09-24",
        "crossing_point": "syrym",
        "keep_together": keep_together,
        "members": list(members) or [person()],
    }


def group_of_friends(size: int, tag: str = "") -> dict[str, Any]:
    return arrival(
        *(
            person(given=f"Друг{tag}{index}", family="Товарищев", relation="friend")
            for index in range(size)
        )
    )
