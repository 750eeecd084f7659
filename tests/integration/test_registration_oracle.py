"""No registration oracle across partners: a partner that posts another partner's person (the
same document number in other formatting, or the same name and birth date) learns nothing of
them, single or in a batch; the operators' review queue holds the pair; and no other intake
answer tells "another partner's person exists" from "no such person". On the real stack."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import httpx
import pytest

from tests.conftest import OPERATOR_KEY, RunningServices
from tests.factories import arrival, person

pytestmark = pytest.mark.integration
OPERATOR = {"X-API-Key": OPERATOR_KEY}
PASSPORT = [{"type": "foreign_passport", "number": "75 1234567", "issuing_country": "RU"}]
#: the same passport as a hostile partner might type it
REFORMATTED = [{"type": "foreign_passport", "number": "75-123 45 67", "issuing_country": "RU"}]


@pytest.fixture
def service_names() -> tuple[str, ...]:
    return ("intake",)


async def new_partner(services: RunningServices, partner_id: str) -> str:
    created = await services.intake.post(
        "/v1/partners",
        json={"partner_id": partner_id, "name": partner_id,
              "scopes": ["arrivals:write", "cases:read"]},
        headers={**OPERATOR, "Idempotency-Key": f"create-{partner_id}"},
    )  # fmt: skip
    assert created.status_code == 201, created.text
    return str(created.json()["api_key"])


async def post(services: RunningServices, key: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = await services.intake.post(
        "/v1/arrivals", json=body, headers={"X-API-Key": key, "Idempotency-Key": str(uuid4())}
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def protected() -> dict[str, Any]:
    """Partner A's person: a draftee with a passport."""
    return arrival(person(given="Дмитрий", family="Орлов", birth_date="1991-05-17",
                          documents=PASSPORT))  # fmt: skip


async def review_queue(services: RunningServices) -> list[dict[str, Any]]:
    listed = await services.intake.get("/v1/duplicates", headers=OPERATOR)
    assert listed.status_code == 200, listed.text
    return list(listed.json())


async def test_another_partner_learns_nothing_from_a_single_arrival_but_operators_see_the_pair(
    services: RunningServices,
) -> None:
    key_a, key_b = services.partner_key, await new_partner(services, "wp-b")
    [protected_id] = (await post(services, key_a, protected()))["person_ids"]

    by_document = await post(services, key_b, arrival(person(given="Иван", documents=REFORMATTED)))
    by_name = await post(services, key_b, arrival(person(given="Дмитрий", family="Орлов",
                                                         birth_date="1991-05-17")))  # fmt: skip
    nobody = await post(services, key_b, arrival(person(given="Никто", family="Нигде")))

    assert by_document["possible_duplicates"] == []
    assert by_name["possible_duplicates"] == []
    assert set(by_document) == set(by_name) == set(nobody)  # the same answer as for nobody
    queue = await review_queue(services)
    pairs = {(flag["person_id"], flag["candidate_person_id"], flag["rule"]) for flag in queue}
    assert pairs == {
        (by_document["person_ids"][0], protected_id, "same_document"),
        (by_name["person_ids"][0], protected_id, "same_name_and_birth_date"),
    }
    assert {(f["partner_id"], f["candidate_partner_id"], f["cross_partner"]) for f in queue} == {
        ("wp-b", "wp-test", True)
    }


async def test_another_partner_learns_nothing_from_a_batch_of_probes(
    services: RunningServices,
) -> None:
    key_a, key_b = services.partner_key, await new_partner(services, "wp-b")
    [protected_id] = (await post(services, key_a, protected()))["person_ids"]
    probes = [
        arrival(person(given="Иван", documents=REFORMATTED)),
        arrival(person(given="Дмитрий", family="Орлов", birth_date="1991-05-17")),
        arrival(person(given="Dmitrii", family="Orlov", birth_date="1991-05-17")),
        arrival(person(given="Никто", family="Нигде")),
    ]

    answer = await services.intake.post(
        "/v1/arrival-batches",
        json={"items": [{"idempotency_key": f"probe-{i}", "arrival": body}
                        for i, body in enumerate(probes)]},
        headers={"X-API-Key": key_b},
    )  # fmt: skip

    assert answer.status_code == 200, answer.text
    items = answer.json()["items"]
    assert [item["status"] for item in items] == ["created"] * 4
    own = {item["person_ids"][0] for item in items}
    named = {flag["candidate_person_id"] for item in items for flag in item["possible_duplicates"]}
    # the Latin and Cyrillic probes resemble each other (items run concurrently, so either may
    # name the other): B's own persons, which B may know of
    assert named <= own
    assert items[0]["possible_duplicates"] == items[3]["possible_duplicates"] == []
    assert protected_id not in answer.text
    flagged = {flag["person_id"] for flag in await review_queue(services)
               if flag["candidate_person_id"] == protected_id}  # fmt: skip
    assert flagged == {item["person_ids"][0] for item in items[:3]}


async def test_a_partner_still_sees_its_own_duplicates_and_those_shared_with_it(
    services: RunningServices,
) -> None:
    key_a, key_b = services.partner_key, await new_partner(services, "wp-b")
    [own] = (await post(services, key_b, protected()))["person_ids"]
    shared_body = arrival(person(given="Олег", family="Ветров", birth_date="1990-01-01"))
    shared_body["share_with_partners"] = ["wp-b"]
    [shared] = (await post(services, key_a, shared_body))["person_ids"]

    again = await post(services, key_b, arrival(person(given="Иван", documents=REFORMATTED)))
    consented = await post(services, key_b, arrival(person(given="Олег", family="Ветров",
                                                           birth_date="1990-01-01")))  # fmt: skip

    assert [flag["candidate_person_id"] for flag in again["possible_duplicates"]] == [own]
    assert [flag["candidate_person_id"] for flag in consented["possible_duplicates"]] == [shared]


async def test_the_operator_merges_a_cross_partner_pair_and_the_partner_is_not_told_whom_into(
    services: RunningServices,
) -> None:
    key_a, key_b = services.partner_key, await new_partner(services, "wp-b")
    [protected_id] = (await post(services, key_a, protected()))["person_ids"]
    [probe] = (await post(services, key_b, arrival(person(documents=REFORMATTED))))["person_ids"]

    merged = await services.intake.post(
        "/v1/merges",
        json={"duplicate_person_id": probe, "kept_person_id": protected_id,
              "reason": "same passport"},
        headers={**OPERATOR, "Idempotency-Key": "merge-1"},
    )  # fmt: skip
    seen_by_b = await services.intake.get(f"/v1/persons/{probe}", headers={"X-API-Key": key_b})
    seen_by_operator = await services.intake.get(f"/v1/persons/{probe}", headers=OPERATOR)

    assert merged.status_code == 200, merged.text
    assert await review_queue(services) == []  # resolved
    assert seen_by_b.json()["status"] == "merged"
    assert protected_id not in seen_by_b.text
    assert seen_by_operator.json()["merged_into"] == protected_id


def _anonymised(answer: httpx.Response, person_id: str) -> tuple[int, str, Any]:
    body = answer.text.replace(person_id, "<id>")
    return answer.status_code, answer.headers["content-type"], body


async def test_no_answer_tells_another_partners_person_from_no_person_at_all(
    services: RunningServices,
) -> None:
    key_a, key_b = services.partner_key, await new_partner(services, "wp-b")
    created = await post(services, key_a, protected())
    [protected_id], arrival_id = created["person_ids"], created["arrival_id"]
    nobody_id = str(uuid4())
    as_b = {"X-API-Key": key_b}

    async def probes(target: str, case: str) -> list[tuple[int, str, Any]]:
        calls = [
            services.intake.get(f"/v1/persons/{target}", headers=as_b),
            services.intake.get(f"/v1/arrivals/{case}", headers=as_b),
            services.intake.post(
                f"/v1/persons/{target}/corrections",
                json={"field": "family_name", "value": "Орлова", "reason": "probe"},
                headers={**as_b, "Idempotency-Key": f"c-{target}"},
            ),
            services.intake.post(
                f"/v1/persons/{target}/corrections",
                json={"field": "birth_date", "value": "not a date", "reason": "probe"},
                headers={**as_b, "Idempotency-Key": f"cb-{target}"},
            ),
            services.intake.post(
                f"/v1/persons/{target}/consents",
                json={"purpose": "sharing_with_partner", "partner_id": "wp-b", "given": True},
                headers={**as_b, "Idempotency-Key": f"s-{target}"},
            ),
            services.intake.post(
                f"/v1/persons/{target}/departure",
                json={"reason": "moved_on_to_another_country"},
                headers={**as_b, "Idempotency-Key": f"d-{target}"},
            ),
        ]
        answers = [await call for call in calls]
        return [_anonymised(a, target) for a in answers[:1]] + [
            _anonymised(answers[1], case),
            *(_anonymised(a, target) for a in answers[2:]),
        ]

    existing = await probes(protected_id, arrival_id)
    missing = await probes(nobody_id, str(uuid4()))

    assert existing == missing
    assert {status for status, _, _ in existing} == {404}
    listed = await services.intake.get("/v1/arrivals", headers=as_b)
    assert listed.json() == []
