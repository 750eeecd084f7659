"""One arrival's journey through intake, housing and aid, over the real Kafka."""

from __future__ import annotations

import pytest
from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind

from tests.conftest import SPANS, RunningServices, eventually
from tests.factories import arrival, group_of_friends, person
from tests.integration.helpers import OPERATOR, entitlements_of, open_shelter, placement_of

pytestmark = pytest.mark.integration


async def register(services: RunningServices, body: dict[str, object], key: str) -> list[str]:
    answer = await services.intake.post(
        "/v1/arrivals",
        json=body,
        headers={"X-API-Key": services.partner_key, "Idempotency-Key": key},
    )
    assert answer.status_code == 201, answer.text
    return list(answer.json()["person_ids"])


async def test_an_arrival_gets_a_bed_and_a_food_parcel_entitlement(
    services: RunningServices,
) -> None:
    shelter_id = await open_shelter(services, beds=12)
    [person_id] = await register(services, arrival(person()), "journey-1")

    placement = await placement_of(services, person_id)
    entitlement = await entitlements_of(services, person_id)

    assert placement["status"] == "held"
    assert placement["shelter_id"] == shelter_id
    assert placement["bed_number"] == 1
    # a place held, not yet checked in: entitled to food, but not a resident (README)
    assert (entitlement["residency"], entitlement["resident"]) == ("held", False)
    assert entitlement["shelter_id"] == shelter_id
    assert entitlement["entitlements"] == [{"item": "food_parcel", "per_day": 1}]


async def test_a_group_of_friends_sleeps_in_one_shelter_and_the_overflow_waits(
    services: RunningServices,
) -> None:
    small = await open_shelter(services, beds=3, name="Host home")
    large = await open_shelter(services, beds=5, name="Hostel")
    # arrivals are keyed by their id, so they may sit on different partitions: wait for each
    # placement before the next arrival to make the order of decisions the order of posts
    friends = await register(services, group_of_friends(5), "friends")
    friend_places = [await placement_of(services, pid) for pid in friends]
    couple = await register(
        services, arrival(person(), person(given="Мария", relation="spouse")), "couple"
    )
    couple_places = [await placement_of(services, pid) for pid in couple]
    late = await register(services, group_of_friends(2, tag="b"), "late")
    late_places = [await placement_of(services, pid) for pid in late]

    assert {place["shelter_id"] for place in friend_places} == {large}
    assert sorted(place["bed_number"] for place in friend_places) == [1, 2, 3, 4, 5]
    assert {place["shelter_id"] for place in couple_places} == {small}
    assert [place["status"] for place in late_places] == ["waiting", "waiting"]
    assert sorted(place["waitlist_position"] for place in late_places) == [1, 2]
    assert late_places[0]["reason"] == "no_places_together"
    shelters = (await services.housing.get("/v1/shelters", headers=OPERATOR)).json()
    assert {(s["name"], s["held"], s["free"]) for s in shelters} == {
        ("Host home", 2, 1),
        ("Hostel", 5, 0),
    }


async def test_one_trace_joins_the_post_the_publishes_and_every_consumer_without_personal_data(
    services: RunningServices,
) -> None:
    await open_shelter(services, beds=2)
    instrumentor = AsyncPGInstrumentor()  # type: ignore[no-untyped-call]
    instrumentor.instrument()  # as each service process does at start
    SPANS.clear()
    try:
        passport = [{"type": "foreign_passport", "number": "TRACE-9911"}]
        tracer = person(given="Трассировщица", family="Zzyzxtracer", sex="female",
                        documents=passport)  # fmt: skip
        body = arrival(tracer)
        [person_id] = await register(services, body, "traced")
        await entitlements_of(services, person_id)
        ns = services.namespace

        async def journey_spans() -> list[ReadableSpan] | None:
            spans = SPANS.get_finished_spans()
            server = [s for s in spans if s.kind == SpanKind.SERVER and "arrivals" in s.name]
            if not server:
                return None
            trace_id = server[0].context.trace_id
            joined = [s for s in spans if s.context.trace_id == trace_id]
            produced = {s.name for s in joined if s.kind == SpanKind.PRODUCER}
            return joined if f"send {ns}.aid.events.v2" in produced else None

        joined = await eventually(journey_spans, what="aid's publish in the journey's trace")
    finally:
        instrumentor.uninstrument()
    by_kind: dict[SpanKind, list[ReadableSpan]] = {}
    for span in joined:
        by_kind.setdefault(span.kind, []).append(span)
    names = {(span.kind, span.name) for span in joined}
    assert (SpanKind.SERVER, "POST /v1/arrivals") in names
    for topic in ("intake", "housing", "aid"):
        assert (SpanKind.PRODUCER, f"send {ns}.{topic}.events.v2") in names
    assert (SpanKind.CONSUMER, f"{ns}.intake.events.v2 process") in names
    assert (SpanKind.CONSUMER, f"{ns}.housing.events.v2 process") in names
    # semantic conventions: HTTP server, messaging producer and consumer, database client
    server = next(s for s in by_kind[SpanKind.SERVER] if s.name == "POST /v1/arrivals")
    assert server.attributes is not None
    assert (server.attributes["http.method"], server.attributes["http.route"]) == (
        "POST",
        "/v1/arrivals",
    )
    assert server.attributes["http.status_code"] == 201
    for span in by_kind[SpanKind.PRODUCER]:
        attributes = dict(span.attributes or {})
        assert attributes["messaging.system"] == "kafka"
        assert attributes["messaging.operation.type"] == "send"
        assert str(attributes["messaging.destination.name"]).startswith(f"{ns}.")
    for span in by_kind[SpanKind.CONSUMER]:
        attributes = dict(span.attributes or {})
        assert attributes["messaging.system"] == "kafka"
        assert "messaging.kafka.message.offset" in attributes
    database = [
        s for s in by_kind.get(SpanKind.CLIENT, []) if (s.attributes or {}).get("db.system")
    ]
    assert database and all(
        s.attributes and s.attributes["db.system"] == "postgresql" for s in database
    )
    # no personal data in any span of the process, inside the journey or not
    everything = " ".join(
        f"{span.name} {dict(span.attributes or {})}" for span in SPANS.get_finished_spans()
    )
    for canary in ("Трассировщица", "Zzyzxtracer", "TRACE-9911", "TRASSIROVSHCHITSA"):
        assert canary not in everything


async def test_the_waitlist_lists_who_waits_in_order(services: RunningServices) -> None:
    first = await register(services, arrival(person()), "w1")
    second = await register(services, arrival(person(given="Пётр")), "w2")
    await placement_of(services, first[0])
    await placement_of(services, second[0])

    async def both_waiting() -> list[dict[str, object]] | None:
        listed = (await services.housing.get("/v1/waitlist", headers=OPERATOR)).json()
        return listed if len(listed) == 2 else None

    waitlist = await eventually(both_waiting, what="two people on the waitlist")
    assert [entry["position"] for entry in waitlist] == [1, 2]
    assert {entry["person_id"] for entry in waitlist} == {first[0], second[0]}
