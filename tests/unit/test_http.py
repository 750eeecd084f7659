from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.intake.requests import ArrivalRequest
from shared.http import _refuse_unstorable_text, json_pointer
from shared.idempotency import Fingerprints
from tests.factories import arrival, person


def test_a_body_location_becomes_a_json_pointer() -> None:
    assert json_pointer(("body", "members", 0, "sex")) == "#/members/0/sex"
    assert json_pointer(("body", "a/b", "c~d")) == "#/a~1b/c~0d"
    assert json_pointer(("header", "Idempotency-Key")) == "header:Idempotency-Key"


def test_the_fingerprint_ignores_key_order_but_not_values() -> None:
    of = Fingerprints(b"a-secret-of-sixteen-bytes", "intake").of
    assert of("wp", "POST", "/x", {"a": 1, "b": 2}) == of("wp", "POST", "/x", {"b": 2, "a": 1})
    assert of("wp", "POST", "/x", {"a": 1}) != of("wp", "POST", "/x", {"a": 2})


def test_a_person_needs_a_birth_date_or_an_age() -> None:
    body = arrival(person(birth_date=None))
    with pytest.raises(ValidationError, match="give birth_date or"):
        ArrivalRequest.model_validate(body)


def test_an_empty_arrival_is_refused() -> None:
    body = arrival()
    body["members"] = []
    with pytest.raises(ValidationError, match="at least 1"):
        ArrivalRequest.model_validate(body)


def test_names_in_cyrillic_and_latin_are_accepted() -> None:
    request = ArrivalRequest.model_validate(
        arrival(person(given="Алексей", family="Smirnov"), person(given="Maria", age=27))
    )
    assert [member.given_name for member in request.members] == ["Алексей", "Maria"]


async def test_a_request_still_losing_races_after_every_retry_answers_busy_with_retry_after() -> (
    None
):
    import httpx
    from fastapi import FastAPI

    from shared.eventstore import ConcurrencyConflict
    from shared.http import install_problem_details

    app = FastAPI()
    install_problem_details(app)

    @app.post("/v1/shelters/{shelter_id}/check-ins")
    async def check_in(shelter_id: str) -> None:
        raise ConcurrencyConflict(shelter_id, 713)

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://housing"
    ) as client:
        answer = await client.post("/v1/shelters/camp/check-ins")
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "1"
    assert answer.headers["content-type"] == "application/problem+json"
    assert "same Idempotency-Key" in answer.json()["detail"]


@pytest.mark.parametrize(
    ("body", "where", "what"),
    [
        ({"a": [{"b": "ok"}, {"c": ["x", "y\x00"]}]}, "#/a/1/c/1", "NUL"),
        ({"a": {"k\x00": 1}}, "#/a", "NUL"),  # a key: named by the object that holds it
        ({"a": ("ok", {"b": "\udc80"})}, "#/a/1/b", "lone surrogate"),
        ([[[["\ud800"]]]], "#/0/0/0/0", "lone surrogate"),
    ],
)
def test_text_postgres_cannot_store_is_refused_wherever_it_is_nested(
    body: object, where: str, what: str
) -> None:
    with pytest.raises(ValueError, match=what) as refused:
        _refuse_unstorable_text(body)
    assert f"(at {where})" in str(refused.value)
    _refuse_unstorable_text({"a": [{"b": "ok", "c": ("x", 1, None, 2.5)}], "Жанна": "ок"})
