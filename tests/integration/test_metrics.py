"""Each service serves Prometheus metrics at /metrics; consumer lag rises while a consumer is
stopped and falls back to 0 once it runs again."""

from __future__ import annotations

from uuid import uuid4

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import RunningServices, eventually
from tests.factories import arrival, person
from tests.integration.helpers import OPERATOR, open_shelter, placement_of, produce

pytestmark = pytest.mark.integration

# family names, as the text exposition declares them (# TYPE); counters without _total
COMMON = {"http_request_duration_seconds", "metrics_scrape_errors"}
CONSUMER = {
    "kafka_consumer_lag",
    "projection_lag_events",
    "consumer_messages_processed",
    "consumer_dead_lettered",
}
OUTBOX = {"outbox_backlog_events", "outbox_relay_published_events"}
EXPECTED = {
    "intake": COMMON | OUTBOX | {"intake_arrivals_registered", "intake_persons_registered"},
    "housing": COMMON
    | CONSUMER
    | OUTBOX
    | {"housing_placements", "housing_waitlist_length", "housing_holds", "housing_free_places"},
    "aid": COMMON | CONSUMER | OUTBOX | {"aid_stock_low", "aid_stock_quantity"},
}

Samples = dict[str, list[tuple[dict[str, str], float]]]


async def families(services: RunningServices, service: str) -> set[str]:
    response = await services.client(service).get("/metrics")
    assert response.status_code == 200, response.text
    return {family.name for family in text_string_to_metric_families(response.text)}


async def scrape(services: RunningServices, service: str) -> Samples:
    response = await services.client(service).get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append((sample.labels, sample.value))
    return samples


def total(samples: Samples, name: str, **labels: str) -> float:
    return sum(
        value
        for found, value in samples.get(name, [])
        if all(found.get(key) == wanted for key, wanted in labels.items())
    )


def fresh(services: RunningServices) -> None:
    """No cache between scrapes in these tests."""
    for app in services.apps.values():
        app.state.runtime.metrics.cache_seconds = 0


async def test_each_service_exposes_its_series(services: RunningServices) -> None:
    fresh(services)
    await open_shelter(services, beds=3)
    registered = await services.intake.post(
        "/v1/arrivals",
        json=arrival(person(), person("Мария", "Смирнова")),
        headers={"X-API-Key": services.partner_key, "Idempotency-Key": str(uuid4())},
    )
    assert registered.status_code == 201, registered.text
    person_id = registered.json()["person_ids"][0]
    await placement_of(services, person_id)
    # a poison message: housing dead-letters it and counts it
    runtime = services.apps["housing"].state.runtime
    await produce(
        runtime.settings.kafka_bootstrap_servers,
        f"{services.namespace}.intake.events.v2",
        b"not json",
        {"content-type": "application/json"},
    )

    for service, expected in EXPECTED.items():
        missing = expected - await families(services, service)
        assert missing == set(), f"{service} lacks {sorted(missing)}"
        samples = await scrape(services, service)
        assert "http_request_duration_seconds_count" in samples  # the scrape before
        assert total(samples, "metrics_scrape_errors") == 0, samples["metrics_scrape_errors"]

    intake = await scrape(services, "intake")
    assert total(intake, "intake_arrivals_registered") == 1
    assert total(intake, "intake_persons_registered") == 2
    routes = {labels["route"] for labels, _ in intake["http_request_duration_seconds_count"]}
    assert "/v1/arrivals" in routes
    assert "/v1/placements/{person_id}" in {
        labels["route"]
        for labels, _ in (await scrape(services, "housing"))["http_request_duration_seconds_count"]
    }
    assert not any(person_id in route for route in routes)

    async def housing_counts() -> Samples | None:
        housing = await scrape(services, "housing")
        done = (
            total(housing, "housing_placements", status="held") == 2
            and total(housing, "housing_free_places") == 1
            and total(housing, "housing_holds") == 2
            and total(housing, "consumer_dead_lettered_total", topic="intake.events.v2") == 1
            and total(housing, "consumer_messages_processed_total", topic="intake.events.v2") >= 1
            and total(housing, "outbox_relay_published_events_total") >= 1
            and total(housing, "outbox_backlog_events") == 0
            and total(housing, "kafka_consumer_lag") == 0
        )  # projection lag may stay at 1: the dead letter never reaches the inbox
        return housing if done else None

    housing = await eventually(housing_counts, what="housing's metrics to show the arrival")
    assert total(housing, "housing_waitlist_length") == 0
    partitions = {labels["partition"] for labels, _ in housing["kafka_consumer_lag"]}
    assert len(partitions) >= 1
    assert {labels["topic"] for labels, _ in housing["kafka_consumer_lag"]} == {"intake.events.v2"}


async def test_consumer_lag_rises_while_housing_is_stopped_and_falls_after(
    services: RunningServices,
) -> None:
    fresh(services)
    await open_shelter(services, beds=10)
    runtime = services.apps["housing"].state.runtime
    (subscriber,) = runtime.broker.subscribers

    async def housing_lag() -> tuple[float, float]:
        samples = await scrape(services, "housing")
        assert samples.get("kafka_consumer_lag"), "no lag series"
        return total(samples, "kafka_consumer_lag"), total(samples, "projection_lag_events")

    async def caught_up() -> bool:
        return await housing_lag() == (0, 0)

    first = await services.intake.post(
        "/v1/arrivals",
        json=arrival(person()),
        headers={"X-API-Key": services.partner_key, "Idempotency-Key": str(uuid4())},
    )
    await placement_of(services, first.json()["person_ids"][0])
    await eventually(caught_up, what="housing caught up before the stop")

    async def nothing_left_to_publish() -> bool:
        return total(await scrape(services, "intake"), "outbox_backlog_events") == 0

    async def stored_for_the_topic() -> int:
        count: int = await services.pool("intake").fetchval(
            "SELECT count(*) FROM events WHERE topic IS NOT NULL"
        )
        return count

    await eventually(nothing_left_to_publish, what="intake's relay idle before the stop")
    before = await stored_for_the_topic()
    await subscriber.stop()
    person_ids = []
    for number in range(5):
        registered = await services.intake.post(
            "/v1/arrivals",
            json=arrival(person(f"Иван{number}", "Петров")),
            headers={"X-API-Key": services.partner_key, "Idempotency-Key": str(uuid4())},
        )
        assert registered.status_code == 201, registered.text
        person_ids.extend(registered.json()["person_ids"])

    # counted where they are stored, not from the relay's counter and backlog (two scrapes, between
    # which the relay may publish a page more: CI saw 12 counted and 15 lagging). Every arrival
    # puts at least one event on intake's topic (some put more)
    new_events = await stored_for_the_topic() - before
    assert new_events >= 5

    async def lag_of_all() -> tuple[float, float] | None:
        lag, projection = await housing_lag()
        return (lag, projection) if lag >= new_events else None

    lag, projection = await eventually(lag_of_all, what="housing's lag to reach the arrivals")
    assert lag == new_events
    assert projection == new_events
    placed = await services.housing.get(f"/v1/placements/{person_ids[0]}", headers=OPERATOR)
    assert placed.status_code == 404  # housing really has not seen them

    await subscriber.start()
    await eventually(caught_up, what="housing's lag back to 0 after the restart")
    for person_id in person_ids:
        assert (await placement_of(services, person_id))["status"] == "held"
