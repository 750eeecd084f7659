"""One rule for a POST retried with its Idempotency-Key, in intake, housing and aid alike
(shared/idempotent_post.py): the key names one decision, so a retry gets the first answer, a
refusal as much as a success, marked as a replay, and changes nothing; the same key with
another body is a 409.

Each service's case refuses a request, then lets something happen that would make the same
request pass if it were decided again; the retry must still be refused, as the first time."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import httpx
import pytest

from shared.http import PROBLEM_JSON
from shared.openapi import REPLAYED
from tests.conftest import OPERATOR_KEY, RunningServices, eventually
from tests.factories import arrival, person
from tests.integration.helpers import open_shelter, placement_of

OPERATOR = {"X-API-Key": OPERATOR_KEY}


@dataclass(frozen=True)
class Post:
    path: str
    body: Any
    key: str
    headers: dict[str, str]

    async def send(self, client: httpx.AsyncClient) -> httpx.Response:
        headers = {**self.headers, "Idempotency-Key": self.key}
        return await client.post(self.path, json=self.body, headers=headers)


@dataclass(frozen=True)
class Case:
    """A request a rule refuses; a success after which that request would pass; the success's
    key sent with another body; the types of the events either would record."""

    refused: Post
    success: Post
    other_body: Post
    recorded: tuple[str, ...]


async def _register(services: RunningServices, given: str) -> str:
    answer = await services.intake.post(
        "/v1/arrivals", json=arrival(person(given=given)),
        headers={"X-API-Key": services.partner_key, "Idempotency-Key": str(uuid4())},
    )  # fmt: skip
    assert answer.status_code == 201, answer.text
    return str(answer.json()["person_ids"][0])


async def intake_case(services: RunningServices) -> Case:
    """Undoing a merge that was never made is refused; after the merge it would pass."""
    duplicate, kept = await _register(services, "Двойник"), await _register(services, "Оригинал")
    merge = {"duplicate_person_id": duplicate, "kept_person_id": kept, "reason": "same passport"}
    return Case(
        refused=Post(f"/v1/merges/{duplicate}/undo", None, "undo-1", OPERATOR),
        success=Post("/v1/merges", merge, "merge-1", OPERATOR),
        other_body=Post("/v1/merges", {**merge, "reason": "another reason"}, "merge-1", OPERATOR),
        recorded=("PersonsMerged", "MergeUndone"),
    )


async def housing_case(services: RunningServices) -> Case:
    """Checking out a person who was never checked in is refused; after the check-in it would
    pass."""
    shelter = await open_shelter(services, beds=4)
    someone, other = await _register(services, "Гость"), await _register(services, "Сосед")
    await placement_of(services, someone)
    path = f"/v1/shelters/{shelter}"
    return Case(
        refused=Post(f"{path}/check-outs", {"person_id": someone, "reason": "left"}, "out-1",
                     OPERATOR),
        success=Post(f"{path}/check-ins", {"person_id": someone}, "in-1", OPERATOR),
        other_body=Post(f"{path}/check-ins", {"person_id": other}, "in-1", OPERATOR),
        recorded=("PersonCheckedIn", "PersonCheckedOut"),
    )  # fmt: skip


async def aid_case(services: RunningServices) -> Case:
    """A hot meal is refused while the site has none; after a donation it would be issued."""
    someone = await _register(services, "Голодный")

    async def known() -> bool:
        answer = await services.aid.get(f"/v1/entitlements/{someone}", headers=OPERATOR)
        return answer.status_code == 200

    await eventually(known, what=f"aid to hear of {someone}")
    donation = {
        "site_id": "atameken-camp",
        "item": "hot_meal",
        "quantity": 50,
        "unit": "portion",
        "donor_kind": "local_volunteer",
        "expires_on": "2099-01-01",
    }
    meal = {"person_id": someone, "item": "hot_meal", "site_id": "atameken-camp"}
    return Case(
        refused=Post("/v1/distributions", meal, "meal-1", OPERATOR),
        success=Post("/v1/donations", donation, "gift-1", OPERATOR),
        other_body=Post("/v1/donations", {**donation, "quantity": 51}, "gift-1", OPERATOR),
        recorded=("AidIssued", "DonationReceived"),
    )  # fmt: skip


CASES: dict[str, Callable[[RunningServices], Awaitable[Case]]] = {
    "intake": intake_case,
    "housing": housing_case,
    "aid": aid_case,
}


def _declared(openapi: dict[str, Any], path: str) -> dict[str, Any]:
    """The POST operation of the path template that ``path`` fills in."""
    [operation] = [
        item["post"]
        for template, item in openapi["paths"].items()
        if "post" in item and re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", template), path)
    ]
    return dict(operation)


async def _recorded(services: RunningServices, service: str, types: tuple[str, ...]) -> int:
    async with services.pool(service).acquire() as conn:
        count = await conn.fetchval(
            "SELECT count(*) FROM events WHERE event_type = ANY($1::text[])", list(types)
        )
    return int(count)


@pytest.mark.parametrize("service", list(CASES))
async def test_a_retried_post_gets_its_first_answer_a_refusal_as_much_as_a_success(
    services: RunningServices, service: str
) -> None:
    case = await CASES[service](services)
    client = services.client(service)

    refused = await case.refused.send(client)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith(PROBLEM_JSON)
    assert "idempotent-replayed" not in refused.headers
    done = await case.success.send(client)
    assert 200 <= done.status_code < 300, done.text
    assert "idempotent-replayed" not in done.headers
    recorded = await _recorded(services, service, case.recorded)

    refused_again = await case.refused.send(client)  # would pass now, if decided again
    done_again = await case.success.send(client)

    assert (refused_again.status_code, refused_again.json()) == (422, refused.json())
    assert refused_again.headers["content-type"].startswith(PROBLEM_JSON)
    assert refused_again.headers["idempotent-replayed"] == "true"
    assert (done_again.status_code, done_again.json()) == (done.status_code, done.json())
    assert done_again.headers["idempotent-replayed"] == "true"
    assert await _recorded(services, service, case.recorded) == recorded
    openapi = services.apps[service].openapi()
    for post, answer in ((case.refused, refused_again), (case.success, done_again)):
        declared = _declared(openapi, post.path)["responses"][str(answer.status_code)]
        assert REPLAYED in declared["headers"], post.path


@pytest.mark.parametrize("service", list(CASES))
async def test_the_same_key_with_another_body_is_refused_as_a_reused_key(
    services: RunningServices, service: str
) -> None:
    case = await CASES[service](services)
    client = services.client(service)
    done = await case.success.send(client)
    assert 200 <= done.status_code < 300, done.text
    recorded = await _recorded(services, service, case.recorded)

    reused = await case.other_body.send(client)

    assert reused.status_code == 409, reused.text
    assert reused.headers["content-type"].startswith(PROBLEM_JSON)
    assert reused.json()["title"] == "Idempotency-Key reused"
    assert "different request body" in reused.json()["detail"]
    assert await _recorded(services, service, case.recorded) == recorded
