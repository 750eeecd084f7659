"""Forgetting on the real Kafka and Postgres: an erasure that reaches housing and aid before the
arrival naming the person places and registers nobody erased (the others as usual), and later
events and commands about them change nothing; a withdrawal of a consent forgets the free text
the service held about the person, as an erasure does."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest

from services.aid.projections import READ_MODEL_TABLES as AID_TABLES
from services.housing.projections import READ_MODEL_TABLES as HOUSING_TABLES
from shared.rebuild import rebuild_read_models
from shared.schemas.base import DomainEvent
from shared.schemas.intake import (
    AgeBand,
    ArrivalRegistered,
    ArrivingMember,
    ConsentGiven,
    ConsentPurpose,
    PersonErased,
    Relation,
    Sex,
)
from shared.topics import INTAKE_EVENTS, physical
from tests.conftest import RunningServices, eventually
from tests.factories import arrival, person
from tests.integration.helpers import OPERATOR, open_shelter, placement_of, produce, read_models

pytestmark = pytest.mark.integration
AGREED = (ConsentPurpose.HOUSING, ConsentPurpose.AID)


def operator() -> dict[str, str]:
    return {**OPERATOR, "Idempotency-Key": str(uuid4())}


def stamp() -> dict[str, Any]:
    return {"actor": "partner:wp-test", "occurred_at": datetime.now(UTC)}


async def publish(services: RunningServices, event: DomainEvent) -> UUID:
    """Put an event on intake's topic as intake's relay would (its key is its stream)."""
    event_id = uuid4()
    headers = {
        "ce_specversion": "1.0", "ce_id": str(event_id), "ce_source": "/services/intake",
        "ce_type": f"{event.event_type}.v{event.version_of_schema}",
        "ce_subject": event.stream_id, "correlation_id": str(uuid4()),
        "content-type": "application/json",
    }  # fmt: skip
    bootstrap = services.apps["housing"].state.runtime.settings.kafka_bootstrap_servers
    topic = physical(INTAKE_EVENTS, services.namespace)
    await produce(bootstrap, topic, event.model_dump_json().encode(), headers,
                  key=event.stream_id.encode())  # fmt: skip
    return event_id


async def handled(services: RunningServices, *event_ids: UUID) -> None:
    """Wait until housing and aid both have the events in their inboxes."""

    async def seen() -> bool:
        for service in ("housing", "aid"):
            count = await services.pool(service).fetchval(
                "SELECT count(*) FROM inbox WHERE event_id = ANY($1)", list(event_ids)
            )
            if count != len(event_ids):
                return False
        return True

    await eventually(seen, what="housing and aid to handle the events")


def member(age_band: AgeBand = AgeBand.ADULT) -> ArrivingMember:
    return ArrivingMember(person_id=uuid4(), age_band=age_band, sex=Sex.FEMALE,
                          relation=Relation.RELATIVE)  # fmt: skip


async def rebuilt_equals_live(services: RunningServices, service: str, tables: Any) -> bool:
    pool, store = services.pool(service), services.apps[service].state.store
    live = await read_models(pool, tables)
    await rebuild_read_models(pool, store, tables)
    return await read_models(pool, tables) == live


async def aid_heard_housing(services: RunningServices) -> None:
    """Wait until every event housing published so far is in aid's inbox."""
    published = [
        row["event_id"]
        for row in await services.pool("housing").fetch(
            "SELECT event_id FROM events WHERE topic IS NOT NULL"
        )
    ]

    async def heard() -> bool:
        seen = await services.pool("aid").fetchval(
            "SELECT count(*) FROM inbox WHERE event_id = ANY($1)", published
        )
        return bool(seen == len(published))

    await eventually(heard, what="aid to take in every event housing published")


async def test_an_erasure_that_overtakes_the_arrival_leaves_the_erased_member_unplaced_and_unregistered(  # noqa: E501
    services: RunningServices,
) -> None:
    await open_shelter(services, beds=4)
    erased, other = member(), member()
    arrival_id = uuid4()
    first = await publish(services, PersonErased(**stamp(), person_id=erased.person_id))
    arrived = ArrivalRegistered(
        **stamp(), arrival_id=arrival_id, partner_id="wp-test", members=(erased, other),
        keep_together=True, arrival_date=date(2022, 9, 24), crossing_point="syrym",
        consents=AGREED,
    )  # fmt: skip
    second = await publish(services, arrived)
    await handled(services, first, second)
    later = [
        ConsentGiven(
            **stamp(),
            person_id=erased.person_id,
            purpose=purpose,
            arrival_id=arrival_id,
            member=erased,
        )
        for purpose in AGREED
    ]
    consents = [await publish(services, given) for given in later]
    await handled(services, *consents)

    placed = await placement_of(services, str(other.person_id))
    await aid_heard_housing(services)  # else its hold may reach aid between live and rebuilt
    unplaced = await services.housing.get(f"/v1/placements/{erased.person_id}", headers=OPERATOR)
    shelters = (await services.housing.get("/v1/shelters", headers=OPERATOR)).json()
    registered = await services.aid.get(f"/v1/entitlements/{other.person_id}", headers=OPERATOR)
    aid_row = await services.pool("aid").fetchrow(
        "SELECT * FROM beneficiaries WHERE person_id = $1", erased.person_id
    )
    aid_events = await services.pool("aid").fetch(
        "SELECT event_type FROM events WHERE stream_id = $1", str(erased.person_id)
    )
    body = {"kind": "onward_travel", "person_id": str(erased.person_id),
            "destination_country": "GE", "note": "travels alone"}  # fmt: skip
    refused = await services.aid.post("/v1/support-requests", json=body, headers=operator())
    housing_tombstone = await services.pool("housing").fetchval(
        "SELECT erased_at FROM erased_persons WHERE person_id = $1", erased.person_id
    )

    assert placed["status"] == "held"  # the other member is placed as usual
    assert unplaced.status_code == 404
    assert [(shelter["held"], shelter["free"]) for shelter in shelters] == [(1, 3)]
    assert registered.status_code == 200
    assert registered.json()["status"] in ("registered", "held")  # as housing's hold tells
    assert [row["event_type"] for row in aid_events] == ["BeneficiaryForgotten"]
    assert aid_row is not None and (aid_row["age_band"], aid_row["arrival_id"]) == (None, None)
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert "was erased" in refused.json()["detail"]
    assert housing_tombstone is not None
    assert await services.pool("aid").fetchval("SELECT count(*) FROM support_requests") == 0
    assert await rebuilt_equals_live(services, "housing", HOUSING_TABLES)
    assert await rebuilt_equals_live(services, "aid", AID_TABLES)


# --- a withdrawn consent forgets free text -------------------------------------------------


async def register(services: RunningServices, *consents: str) -> str:
    body = {**arrival(person()), "consents": list(consents)}
    headers = {"X-API-Key": services.partner_key, "Idempotency-Key": str(uuid4())}
    answer = await services.intake.post("/v1/arrivals", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    [person_id] = answer.json()["person_ids"]
    return str(person_id)


async def withdraw(services: RunningServices, person_id: str, purpose: str) -> None:
    headers = {"X-API-Key": services.partner_key, "Idempotency-Key": str(uuid4())}
    answer = await services.intake.post(
        f"/v1/persons/{person_id}/consents", json={"purpose": purpose, "given": False},
        headers=headers,
    )  # fmt: skip
    assert answer.status_code == 200, answer.text


async def test_a_person_who_withdraws_the_consent_to_housing_leaves_no_move_reason_behind(
    services: RunningServices,
) -> None:
    first, second = [await open_shelter(services, beds=2, name=name) for name in ("A", "B")]
    person_id = await register(services, "housing")
    placed = await placement_of(services, person_id)
    to = second if placed["shelter_id"] == first else first
    move, headers = {"to_shelter_id": to, "reason": "snores loudly"}, operator()
    moved = await services.housing.post(f"/v1/persons/{person_id}/move", json=move,
                                        headers=headers)  # fmt: skip
    assert moved.status_code == 200, moved.text
    notes = "SELECT count(*) FROM move_notes WHERE person_id = $1"
    before = await services.pool("housing").fetchval(notes, UUID(person_id))

    await withdraw(services, person_id, "housing")

    async def notes_gone() -> bool:
        return bool(await services.pool("housing").fetchval(notes, UUID(person_id)) == 0)

    await eventually(notes_gone, what="housing to forget the move reason")
    retried = await services.housing.post(f"/v1/persons/{person_id}/move", json=move,
                                          headers=headers)  # fmt: skip
    assert before == 1
    assert retried.status_code == 410 and retried.json()["title"] == "Forgotten"
    assert "snores" not in retried.text  # the stored answer repeated the reason: it is gone
    assert await rebuilt_equals_live(services, "housing", HOUSING_TABLES)


async def test_a_person_who_withdraws_the_consent_to_aid_leaves_no_support_request_details_behind(
    services: RunningServices,
) -> None:
    person_id = await register(services, "aid")

    async def known() -> bool:
        answer = await services.aid.get(f"/v1/entitlements/{person_id}", headers=OPERATOR)
        return answer.status_code == 200 and answer.json()["status"] == "registered"

    await eventually(known, what="aid to register the person")
    body = {"kind": "onward_travel", "person_id": person_id, "destination_country": "GE",
            "destination_city": "Batumi", "documents_held": ["foreign_passport"],
            "wanted_on": "2022-10-01", "note": "goes to her sister"}  # fmt: skip
    requested = await services.aid.post("/v1/support-requests", json=body, headers=operator())
    assert requested.status_code == 201, requested.text
    request_id = requested.json()["request_id"]

    await withdraw(services, person_id, "aid")

    async def blanked() -> dict[str, Any] | None:
        answer = await services.aid.get(f"/v1/support-requests/{request_id}", headers=OPERATOR)
        seen = answer.json()
        return seen if seen["status"] == "withdrawn" and seen["note"] is None else None

    seen = await eventually(blanked, what="aid to forget the request's details")
    kept = await services.pool("aid").fetchval(
        "SELECT count(*) FROM support_request_details WHERE person_id = $1", UUID(person_id)
    )
    assert kept == 0
    assert (seen["destination_city"], seen["documents_held"], seen["wanted_on"]) == (
        None, [], None,
    )  # fmt: skip
    city_key = await services.pool("aid").fetchval(  # the case-folded city matching looks up
        "SELECT destination_city_key FROM support_requests WHERE request_id = $1", UUID(request_id)
    )
    assert city_key is None
    assert await rebuilt_equals_live(services, "aid", AID_TABLES)
