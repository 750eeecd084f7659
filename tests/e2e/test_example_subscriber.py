"""The example subscriber (examples/statistics), built on the contracts alone, agrees with the
services' own read models: intake's arrival statistics, housing's shelters, aid's daily totals.

The services run as processes; a small demo is played over HTTP; a duplicate (same ce_id) and a
malformed message are added to aid's topic; the subscriber runs until the topics are drained,
as a separate process, against this test's namespace.
"""

from __future__ import annotations

import ast
import csv
import io
import json
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from demo.processes import ServiceProcess
from tests.conftest import OPERATOR_KEY, eventually
from tests.e2e.conftest import partner_key
from tests.factories import person
from tests.stack import REPO, Stack

pytestmark = pytest.mark.e2e

OPERATOR = {"X-API-Key": OPERATOR_KEY}
CONSENTS = ["housing", "aid", "anonymous_statistics"]
ORAL = timezone(timedelta(hours=5))
SITE = "atameken-camp"
EXAMPLE = REPO / "examples" / "statistics"

#: (arrival date, crossing point, group size)
ARRIVALS = [
    ("2022-09-24", "syrym", 3),
    ("2022-09-24", "syrym", 1),
    ("2022-09-24", "taskala", 2),
    ("2022-09-25", "syrym", 2),
    ("2022-09-25", "taskala", 1),
]
SHELTERS = [("Sports school gym", "gym", 6), ("Hotel Chagala", "hotel", 8)]


def arrival_body(number: int, day: str, crossing: str, size: int) -> dict[str, Any]:
    members = [
        person(
            given=f"Гость{number}{index}",
            family=f"Семья{number}",
            birth_date=f"19{80 + number}-0{index + 1}-1{index}",
            **({"relation": "friend"} if index else {}),
        )
        for index in range(size)
    ]
    return {
        "arrival_date": day,
        "crossing_point": crossing,
        "keep_together": True,
        "consents": CONSENTS,
        "members": members,
    }


def subscriber(namespace: str, stack: Stack, *args: str) -> str:
    done = subprocess.run(
        [
            sys.executable, "-m", "examples.statistics", "--until-idle", "--idle-seconds", "1",
            "--bootstrap-servers", stack.kafka_bootstrap_servers, "--namespace", namespace,
            *args,
        ],
        cwd=REPO, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_example_imports_no_service_code() -> None:
    for source in EXAMPLE.rglob("*.py"):
        tree = ast.parse(source.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            for name in names:
                assert name.split(".")[0] not in {"services", "shared", "demo", "tests"}, (
                    f"{source.relative_to(REPO)} imports {name}"
                )


async def play(
    client: httpx.AsyncClient, processes: dict[str, ServiceProcess]
) -> tuple[list[str], dict[str, str]]:
    """Open shelters, register arrivals; return everyone and their arrival."""
    intake, housing = processes["intake"], processes["housing"]
    for number, (name, kind, beds) in enumerate(SHELTERS):
        opened = await client.post(
            f"{housing.url}/v1/shelters",
            json={"name": name, "kind": kind, "district": "Oral", "beds": beds},
            headers={**OPERATOR, "Idempotency-Key": f"shelter-{number}"},
        )
        assert opened.status_code == 201, opened.text
    key = partner_key(intake)
    people: list[str] = []
    household: dict[str, str] = {}
    for number, (day, crossing, size) in enumerate(ARRIVALS):
        answer = await client.post(
            f"{intake.url}/v1/arrivals",
            json=arrival_body(number, day, crossing, size),
            headers={"X-API-Key": key, "Idempotency-Key": f"arrival-{number}"},
        )
        assert answer.status_code == 201, answer.text
        for person_id in answer.json()["person_ids"]:
            people.append(person_id)
            household[person_id] = answer.json()["arrival_id"]
    return people, household


async def issue(client: httpx.AsyncClient, aid: str, number: int, body: dict[str, Any]) -> None:
    async def issued() -> bool:
        answer = await client.post(
            f"{aid}/v1/distributions",
            json=body,
            headers={**OPERATOR, "Idempotency-Key": f"issue-{number}-{datetime.now(UTC)}"},
        )
        if answer.status_code == 201:
            return True
        # aid learns of a person a moment after intake: retry only that refusal
        assert answer.status_code == 422 and "not_registered" in answer.text, answer.text
        return False

    await eventually(issued, timeout=30, what=f"aid to issue {body}")


async def disturb_aid_topic(stack: Stack, namespace: str) -> None:
    """Publish again an AidIssued already on the topic (same ce_id), and a malformed message."""
    topic = f"{namespace}.aid.events.v2"
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=stack.kafka_bootstrap_servers,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )  # no group: every partition, from the beginning
    await consumer.start()
    try:
        found = None
        for _ in range(30):
            batches = await consumer.getmany(timeout_ms=1000)
            for records in batches.values():
                for record in records:
                    if found is None and dict(record.headers).get("ce_type") == b"AidIssued.v2":
                        found = record
            if found is not None:
                break
        assert found is not None, "no AidIssued on aid's topic"
    finally:
        await consumer.stop()
    producer = AIOKafkaProducer(bootstrap_servers=stack.kafka_bootstrap_servers)
    await producer.start()
    try:
        await producer.send_and_wait(topic, found.value, key=found.key, headers=list(found.headers))
        await producer.send_and_wait(
            topic,
            b'{"type": "AidIssued", "schema_version": 2, "quantity": -3}',
            key=b"broken",
            headers=[
                ("ce_id", b"00000000-0000-4000-8000-000000000001"),
                ("ce_type", b"AidIssued.v2"),
                ("ce_source", b"/somewhere/else"),
                ("ce_specversion", b"1.0"),
            ],
        )
    finally:
        await producer.stop()


async def test_example_subscriber_agrees_with_the_services(
    processes: dict[str, ServiceProcess], namespace: str, stack: Stack, tmp_path: Path
) -> None:
    intake, housing, aid = processes["intake"], processes["housing"], processes["aid"]
    async with httpx.AsyncClient(timeout=30) as client:
        people, household = await play(client, processes)

        async def housing_decided() -> dict[str, str] | None:
            status = {}
            for person_id in people:
                answer = await client.get(
                    f"{housing.url}/v1/placements/{person_id}", headers=OPERATOR
                )
                if answer.status_code != 200:
                    return None
                status[person_id] = answer.json()["status"]
            return status

        placement = await eventually(housing_decided, timeout=60, what="housing to decide")
        placed = [p for p, status in placement.items() if status == "held"]
        assert placed, placement

        # aid: stock in, then a few distributions (hot meals per person, a kit per household)
        expires = (datetime.now(ORAL).date() + timedelta(days=30)).isoformat()
        for item, unit in (("hot_meal", "portion"), ("hygiene_kit", "kit")):
            donated = await client.post(
                f"{aid.url}/v1/donations",
                json={"site_id": SITE, "item": item, "quantity": 100, "unit": unit,
                      "donor_kind": "ngo", "expires_on": expires if item == "hot_meal" else None},
                headers={**OPERATOR, "Idempotency-Key": f"donation-{item}"},
            )  # fmt: skip
            assert donated.status_code == 201, donated.text
        first_of: dict[str, str] = {}
        for person_id in people:
            first_of.setdefault(household[person_id], person_id)
        wanted = [
            {"person_id": people[0], "item": "hot_meal", "site_id": SITE, "quantity": 2},
            {"person_id": people[1], "item": "hot_meal", "site_id": SITE, "quantity": 1},
            {"person_id": people[-1], "item": "hot_meal", "site_id": SITE, "quantity": 1},
            *(
                {"person_id": member, "item": "hygiene_kit", "site_id": SITE, "quantity": 1}
                for member in list(first_of.values())[:2]
            ),
        ]
        for number, body in enumerate(wanted):
            await issue(client, aid.url, number, body)

        # the services' own figures
        by_day = (
            await client.get(f"{intake.url}/v1/statistics/arrivals?by=day", headers=OPERATOR)
        ).json()
        by_crossing = (
            await client.get(
                f"{intake.url}/v1/statistics/arrivals?by=crossing_point", headers=OPERATOR
            )
        ).json()
        shelters = (await client.get(f"{housing.url}/v1/shelters", headers=OPERATOR)).json()
        today = datetime.now(ORAL).date().isoformat()
        totals = (
            await client.get(
                f"{aid.url}/v1/reports/daily-totals",
                params={"day": today, "format": "json"},
                headers=OPERATOR,
            )
        ).json()

    expected_by_day = {row["day"]: row["people"] for row in by_day}
    expected_by_crossing = {row["crossing_point"]: row["people"] for row in by_crossing}
    expected_groups = sum(row["arrivals"] for row in by_day)
    expected_kinds: Counter[str] = Counter()
    for shelter in shelters:
        expected_kinds[shelter["kind"]] += shelter["held"] + shelter["occupied"]
    expected_items: Counter[str] = Counter()
    for row in totals:
        expected_items[row["#item+code"]] += row["#output+num"]
    # the demo itself, so that agreeing on nothing cannot pass
    assert sum(expected_by_day.values()) == len(people) == sum(n for *_, n in ARRIVALS)
    assert expected_by_crossing == {"syrym": 6, "taskala": 3}
    assert sum(expected_kinds.values()) == len(placed)
    assert expected_items == {"hot_meal": 4, "hygiene_kit": 2}

    await disturb_aid_topic(stack, namespace)

    def figures(document: dict[str, Any]) -> dict[str, Any]:
        by_day: Counter[str] = Counter()
        by_crossing: Counter[str] = Counter()
        groups = 0
        for row in document["arrivals"]:
            by_day[row["#date"]] += row["#affected+arrived"]
            by_crossing[row["#loc+crossing"]] += row["#affected+arrived"]
            groups += row["#affected+arrived+groups"]
        kinds: Counter[str] = Counter()
        for row in document["placements"]:
            kinds[row["#loc+shelter+type"]] += row["#affected+placed"]
        items: Counter[str] = Counter()
        for row in document["aid"]:
            if row["#date"] == today:
                items[row["#item+code"]] += row["#output+num"]
        return {
            "by_day": dict(by_day), "by_crossing": dict(by_crossing), "groups": groups,
            "kinds": dict(kinds), "items": dict(items),
        }  # fmt: skip

    expected = {
        "by_day": expected_by_day, "by_crossing": expected_by_crossing,
        "groups": expected_groups, "kinds": dict(expected_kinds), "items": dict(expected_items),
    }  # fmt: skip

    # the relays publish a moment after the read models commit: run again until it agrees
    last: dict[str, Any] = {}

    async def agrees() -> bool:
        nonlocal last
        document = json.loads(subscriber(namespace, stack, "--format", "json"))
        last = document
        return figures(document) == expected and document["consumed"]["duplicates_skipped"] >= 1

    try:
        await eventually(agrees, timeout=90, what="the subscriber to agree with the services")
    except AssertionError:
        assert figures(last) == expected  # shows the difference
        raise
    consumed = last["consumed"]
    # at least the one the test republished; the relays are at-least-once too (a batch whose
    # acknowledgements did not all arrive is sent again), and the figures above hold anyway
    assert consumed["duplicates_skipped"] >= 1, consumed
    assert consumed["malformed"] == 1, consumed
    assert consumed["unknown_types_skipped"] == {}, consumed

    # CSV: the header row, then the HXL hashtag row, then the data
    text = subscriber(namespace, stack, "--format", "csv", "--figure", "placements")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["date", "shelter_kind", "people"]
    assert rows[1] == ["#date", "#loc+shelter+type", "#affected+placed"]
    assert {kind: int(n) for _, kind, n in rows[2:]} == {
        kind: n for kind, n in expected_kinds.items() if n
    }
    every = subscriber(namespace, stack, "--output-dir", str(tmp_path / "figures"))
    assert every == ""
    for figure, hashtags in (
        ("arrivals", ["#date", "#loc+crossing", "#affected+arrived", "#affected+arrived+groups"]),
        ("aid", ["#date", "#item+code", "#item+name", "#output+num"]),
    ):
        written = list(
            csv.reader(io.StringIO((tmp_path / "figures" / f"{figure}.csv").read_text()))
        )
        assert written[1] == hashtags
        assert len(written) > 2
