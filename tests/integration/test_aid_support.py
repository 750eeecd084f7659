"""Support for the way forward on the real stack: requests meet offers by destination or by
skills, and go through accepted to done; withdrawals free what they held."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

import pytest

from tests.integration.aid_helpers import RunningAid, running_aid
from tests.integration.test_arrival_round_trips import counted
from tests.stack import Stack

pytestmark = pytest.mark.integration

#: the most statements a support request may cost, with its five proposals (11 measured;
#: 27 when each proposal was appended and projected on its own)
STATEMENTS_PER_REQUEST = 12


@pytest.fixture
async def aid(stack: Stack, databases: dict[str, str], namespace: str) -> AsyncIterator[RunningAid]:
    async with running_aid(stack, databases, namespace) as running:
        yield running


async def created(aid: RunningAid, path: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = await aid.post(path, body)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


async def step(aid: RunningAid, match_id: str, what: str) -> dict[str, Any]:
    answer = await aid.post(f"/v1/matches/{match_id}/{what}", {} if what == "withdrawal" else None)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def test_onward_travel_to_georgia_meets_a_ride_to_tbilisi_and_is_done(
    aid: RunningAid,
) -> None:
    _, [traveller] = await aid.arrive()
    to_yerevan = await created(aid, "/v1/offers", {
        "kind": "ride", "partner": "Drivers of Oral", "title": "Car to Yerevan",
        "country": "AM", "city": "Yerevan", "places": 3,
    })  # fmt: skip
    to_tbilisi = await created(aid, "/v1/offers", {
        "kind": "ride", "partner": "Volunteer drivers", "title": "Minivan to Tbilisi",
        "country": "GE", "city": "Tbilisi", "places": 1, "contact": "dispatcher at the mosque",
    })  # fmt: skip

    request = await created(aid, "/v1/support-requests", {
        "kind": "onward_travel", "person_id": str(traveller), "destination_country": "GE",
        "documents_held": ["foreign_passport"], "wanted_on": "2022-10-01",
    })  # fmt: skip

    [proposal] = request["proposed"]
    assert proposal["offer_id"] == to_tbilisi["offer_id"] != to_yerevan["offer_id"]
    assert proposal["basis"] == "destination"
    accepted = await step(aid, proposal["match_id"], "acceptance")
    offer = await aid.get("/v1/offers", status=["full"])
    done = await step(aid, proposal["match_id"], "completion")
    seen = (await aid.get(f"/v1/support-requests/{request['request_id']}")).json()

    assert accepted["status"] == "accepted"
    assert [o["offer_id"] for o in offer.json()] == [to_tbilisi["offer_id"]]
    assert done["status"] == "done"
    assert seen["status"] == "done" and seen["closed_at"] is not None
    assert seen["documents_held"] == ["foreign_passport"]  # kept in aid's own database
    assert [m["status"] for m in seen["matches"]] == ["done"]
    still_open = (await aid.get("/v1/support-requests")).json()
    assert request["request_id"] not in {r["request_id"] for r in still_open}


async def test_a_developers_job_request_meets_an_it_job_offered_later_and_is_done(
    aid: RunningAid,
) -> None:
    _, [developer, lawyer] = await aid.arrive((), ())
    request = await created(aid, "/v1/support-requests", {
        "kind": "job_search", "person_id": str(developer), "profession": "software_developer",
        "skills": ["python", "postgresql"], "languages": ["ru", "en"], "work_countries": ["KZ"],
    })  # fmt: skip
    other = await created(aid, "/v1/support-requests", {
        "kind": "job_search", "person_id": str(lawyer), "profession": "lawyer",
        "languages": ["ru"],
    })  # fmt: skip
    assert request["proposed"] == [] and other["proposed"] == []  # nothing offered yet

    job = await created(aid, "/v1/offers", {
        "kind": "job", "partner": "Oral IT hub", "title": "Backend developer",
        "profession": "software_developer", "skills": ["python"], "country": "KZ",
        "city": "Oral", "languages": ["ru"],
    })  # fmt: skip

    [proposal] = job["proposed"]
    assert proposal["request_id"] == request["request_id"]
    assert proposal["basis"] == "skills"
    matches = (await aid.get("/v1/matches")).json()
    assert [m["match_id"] for m in matches] == [proposal["match_id"]]
    await step(aid, proposal["match_id"], "acceptance")
    await step(aid, proposal["match_id"], "completion")
    done = (await aid.get(f"/v1/support-requests/{request['request_id']}")).json()
    assert done["status"] == "done"
    assert (await aid.get(f"/v1/support-requests/{other['request_id']}")).json()["status"] == "open"


async def test_a_withdrawn_offer_frees_its_requests_and_a_full_offer_takes_no_one_else(
    aid: RunningAid,
) -> None:
    _, [first, second] = await aid.arrive((), ())
    ride = await created(aid, "/v1/offers", {
        "kind": "ticket", "partner": "Bus company", "title": "Bus to Tbilisi", "country": "GE",
        "places": 1,
    })  # fmt: skip
    to_georgia = {"kind": "onward_travel", "destination_country": "GE"}
    one = await created(aid, "/v1/support-requests", {**to_georgia, "person_id": str(first)})
    two = await created(aid, "/v1/support-requests", {**to_georgia, "person_id": str(second)})

    await step(aid, one["proposed"][0]["match_id"], "acceptance")
    refused = await aid.post(f"/v1/matches/{two['proposed'][0]['match_id']}/acceptance")
    assert refused.status_code == 422 and "taken" in refused.json()["detail"]

    withdrawn = await aid.post(f"/v1/offers/{ride['offer_id']}/withdrawal")
    assert withdrawn.status_code == 200, withdrawn.text
    requests = {r["request_id"]: r for r in (await aid.get("/v1/support-requests")).json()}
    assert {requests[one["request_id"]]["status"], requests[two["request_id"]]["status"]} == {
        "open"
    }
    assert {m["withdrawn_reason"] for r in requests.values() for m in r["matches"]} == {
        "offer_withdrawn"
    }
    offers = (await aid.get("/v1/offers", status=["withdrawn"])).json()
    assert [(o["offer_id"], o["places_taken"]) for o in offers] == [(ride["offer_id"], 0)]


async def test_a_departure_withdraws_the_persons_open_requests(aid: RunningAid) -> None:
    arrival, [someone] = await aid.arrive()
    request = await created(aid, "/v1/support-requests", {
        "kind": "job_search", "person_id": str(someone), "skills": ["welding"]})  # fmt: skip

    await aid.depart(someone, arrival)

    seen = (await aid.get(f"/v1/support-requests/{request['request_id']}")).json()
    assert (seen["status"], seen["withdrawn_reason"]) == ("withdrawn", "departed")
    again = await aid.post("/v1/support-requests", {
        "kind": "job_search", "person_id": str(someone), "skills": ["welding"]})  # fmt: skip
    assert again.status_code == 422 and "closed" in again.json()["detail"]


async def test_unknown_ids_answer_404(aid: RunningAid) -> None:
    nobody = UUID(int=7)
    for path in (f"/v1/matches/{nobody}/acceptance", f"/v1/offers/{nobody}/withdrawal"):
        answer = await aid.post(path)
        assert answer.status_code == 404, path
    assert (await aid.get(f"/v1/support-requests/{nobody}")).status_code == 404
    assert (await aid.get(f"/v1/entitlements/{nobody}")).status_code == 404


async def test_a_request_and_its_five_proposals_cost_the_round_trips_of_one(
    aid: RunningAid, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the request and every proposal go in one append to its new stream, projected together;
    # one by one, each proposal cost a read of the stream, an append and its rows read and
    # written (the Oral week: 14,000 requests, 66,000 proposals)
    _, [warm, traveller] = await aid.arrive((), ())
    for n in range(6):
        await created(aid, "/v1/offers", {
            "kind": "ride", "partner": "Drivers of Oral", "title": f"Car {n} to Tbilisi",
            "country": "GE", "city": "Tbilisi", "places": 3,
        })  # fmt: skip
    body = {"kind": "onward_travel", "destination_country": "GE", "wanted_on": "2022-10-01"}
    await created(aid, "/v1/support-requests", {**body, "person_id": str(warm)})

    with counted(monkeypatch) as statements:
        request = await created(aid, "/v1/support-requests", {**body, "person_id": str(traveller)})

    print(f"\na request with {len(request['proposed'])} proposals: {len(statements)} statements")
    assert len(request["proposed"]) == 5
    assert len(statements) <= STATEMENTS_PER_REQUEST, "\n".join(statements)
    seen = (await aid.get(f"/v1/support-requests/{request['request_id']}")).json()
    assert seen["wanted_on"] == "2022-10-01"  # its details, copied into its row
    assert sorted(m["match_id"] for m in seen["matches"]) == sorted(
        p["match_id"] for p in request["proposed"]
    )
    assert {m["status"] for m in seen["matches"]} == {"proposed"}
