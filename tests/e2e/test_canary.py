"""The canary: distinctive personal data run through a whole flow, then searched for on every
topic (dead-letter topics included), in every log file and in every exported span (console
exporter into the log files); and proof that the same scan catches a leak from a real process."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from demo.processes import ServiceProcess, launch
from tests.conftest import OPERATOR_KEY, eventually
from tests.e2e.canary import scan
from tests.e2e.conftest import free_port, partner_key
from tests.factories import arrival, person
from tests.stack import Stack

pytestmark = pytest.mark.e2e
OPERATOR = {"X-API-Key": OPERATOR_KEY}

CANARIES = {
    "given name": "Канареечка",
    "family name": "Zzyzxcanarova",
    "corrected family name": "Кенарёва",
    "transliterated": "KANAREECHKA",
    "birth date": "1987-11-23",
    "document number": "CANARY-7731-0042",
    "phone": "+7 912 555 01 77",
    "profession": "canary-keeper-extraordinaire",
}


@pytest.fixture
def traces_exporter() -> str:
    return "console"  # every span, with its attributes, printed into the service's log


#: a sitecustomize that logs every request body (tests only): the leak the scan must catch
LEAKY_PLUGIN = Path(__file__).parent / "leaky_intake"


async def run_journey(processes: dict[str, ServiceProcess]) -> None:
    """Register the canary, correct, search, refuse, place, entitle, depart: every path
    personal data takes through the services; then give the span exporter time to export."""
    intake, housing, aid = processes["intake"], processes["housing"], processes["aid"]
    key = partner_key(intake)
    body = arrival(
        person(
            given=CANARIES["given name"], family=CANARIES["family name"],
            birth_date=CANARIES["birth date"], contact_phone=CANARIES["phone"],
            profession=CANARIES["profession"],
            documents=[{"type": "foreign_passport", "number": CANARIES["document number"]}],
        ),
        person(given="Спутник", relation="friend"),
    )  # fmt: skip
    async with httpx.AsyncClient(timeout=30) as client:
        await client.post(
            f"{housing.url}/v1/shelters",
            json={"name": "Gym", "kind": "gym", "district": "Oral", "beds": 4},
            headers={**OPERATOR, "Idempotency-Key": "canary-shelter"},
        )
        created = await client.post(
            f"{intake.url}/v1/arrivals", json=body,
            headers={"X-API-Key": key, "Idempotency-Key": "canary-1"},
        )  # fmt: skip
        assert created.status_code == 201, created.text
        canary_id = created.json()["person_ids"][0]
        steps = [
            client.post(
                f"{intake.url}/v1/persons/{canary_id}/corrections",
                json={"field": "family_name", "value": CANARIES["corrected family name"],
                      "reason": "typo"},
                headers={"X-API-Key": key, "Idempotency-Key": "canary-2"},
            ),
            client.post(
                f"{intake.url}/v1/person-searches",
                json={"name": CANARIES["given name"], "document": CANARIES["document number"]},
                headers=OPERATOR,
            ),
            client.post(  # a refused request echoes nothing personal either
                f"{intake.url}/v1/arrivals",
                json=arrival(person(given=CANARIES["given name"], sex="canary")),
                headers={"X-API-Key": key, "Idempotency-Key": "canary-3"},
            ),
        ]  # fmt: skip
        answers = [await step for step in steps]
        assert [answer.status_code for answer in answers] == [200, 200, 422]
        assert CANARIES["given name"] not in answers[2].text

        async def entitled() -> bool:
            answer = await client.get(f"{aid.url}/v1/entitlements/{canary_id}", headers=OPERATOR)
            return answer.status_code == 200 and bool(answer.json()["entitlements"])

        await eventually(entitled, what="the journey to reach aid")
        await client.post(
            f"{intake.url}/v1/persons/{canary_id}/departure",
            json={"reason": "moved_on_to_another_country"},
            headers={"X-API-Key": key, "Idempotency-Key": "canary-4"},
        )
    await asyncio.sleep(6)  # the batch span processor exports every 5 s


async def test_no_canary_reaches_a_topic_a_log_line_or_a_span(
    processes: dict[str, ServiceProcess], stack: Stack, namespace: str, tmp_path: Path
) -> None:
    await run_journey(processes)
    for process in processes.values():
        process.stop()  # flush what is buffered
    found = await scan(CANARIES, stack.kafka_bootstrap_servers, namespace, tmp_path / "logs")

    assert found.records >= 6
    expected = {f"{namespace}.{topic}" for topic in ("intake.events.v2", "housing.events.v2",
                "aid.events.v2", "housing.deadletter.v1", "aid.deadletter.v1")}  # fmt: skip
    assert expected <= set(found.topics)  # every topic the services use, dead letters too
    assert set(found.logs) == {"intake.log", "housing.log", "aid.log"}
    assert all('"trace_id"' in text for text in found.logs.values())  # spans really exported
    assert '"kind": "SpanKind.CONSUMER"' in found.logs["housing.log"]
    assert found.findings == [], found.report()


@pytest.fixture
def leaky_processes(
    stack: Stack, databases: dict[str, str], namespace: str, tmp_path: Path
) -> Iterator[dict[str, ServiceProcess]]:
    """The three services as in ``processes``, with the leaking plugin on their PYTHONPATH."""
    environment = {
        "KAFKA_BOOTSTRAP_SERVERS": stack.kafka_bootstrap_servers,
        "KAFKA_TOPIC_NAMESPACE": namespace,
        "OPERATOR_API_KEY": OPERATOR_KEY,
        "OTEL_TRACES_EXPORTER": "console",
        "PYTHONPATH": str(LEAKY_PLUGIN),
    }
    ports = {name: free_port() for name in ("intake", "housing", "aid")}
    running = launch(environment, tmp_path / "logs", ports, databases)
    try:
        yield running
    finally:
        for process in running.values():
            process.stop()


async def test_the_scan_finds_a_name_a_real_process_logged_and_says_where(
    leaky_processes: dict[str, ServiceProcess], stack: Stack, namespace: str, tmp_path: Path
) -> None:
    await run_journey(leaky_processes)
    for process in leaky_processes.values():
        process.stop()
    found = await scan(CANARIES, stack.kafka_bootstrap_servers, namespace, tmp_path / "logs")

    given_name = [f for f in found.findings if f.what == "given name"]
    # the log line (as written) and the span attribute (the console exporter escapes Cyrillic)
    assert {f.form for f in given_name} == {"as written", "JSON-escaped"}, found.report()
    assert all(f.where.startswith("intake.log line ") for f in given_name), found.report()
    assert f"given name (as written) in {given_name[0].where}" in found.report()
    # the document number was in a request body too; the topics stayed clean
    assert any(f.what == "document number" for f in found.findings), found.report()
    assert not [f for f in found.findings if f.where.startswith("topic ")], found.report()
