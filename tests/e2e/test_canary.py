"""The canary: distinctive personal data run through a whole flow, then searched for on every
topic, in every log file and in every exported span (console exporter into the log files)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from demo.processes import ServiceProcess
from tests.conftest import OPERATOR_KEY, eventually
from tests.e2e.conftest import partner_key
from tests.factories import arrival, person
from tests.integration.helpers import read_topic
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


async def test_no_canary_reaches_a_topic_a_log_line_or_a_span(
    processes: dict[str, ServiceProcess], stack: Stack, namespace: str, tmp_path: Path
) -> None:
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

    records = []
    for topic in ("intake.events.v1", "housing.events.v1", "aid.events.v1"):
        records.extend(await read_topic(stack.kafka_bootstrap_servers, f"{namespace}.{topic}"))
    on_topics = "\n".join(
        (record.value or b"").decode() + "".join(v.decode() for _, v in record.headers)
        for record in records
    )
    for process in processes.values():
        process.stop()  # flush what is buffered
    logs = {path.name: path.read_text() for path in (tmp_path / "logs").glob("*.log")}

    assert len(records) >= 6
    assert set(logs) == {"intake.log", "housing.log", "aid.log"}
    assert all('"trace_id"' in text for text in logs.values())  # spans were really exported
    assert '"kind": "SpanKind.CONSUMER"' in logs["housing.log"]
    for what, canary in CANARIES.items():
        assert canary not in on_topics, f"{what} reached a topic"
        for name, text in logs.items():
            assert canary not in text, f"{what} reached {name}"
